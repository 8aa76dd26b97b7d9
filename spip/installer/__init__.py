"""The installer seam: resolve a plan, install exactly the verified files (pip; uv and
pipx to come). Subprocesses only: no installer is ever imported. Imports core, plan."""
