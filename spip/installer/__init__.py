"""The installer seam: resolve a plan, install exactly the verified files (pip, uv, pipx;
finding the real tools past spip's shims). Subprocesses only: no installer is ever
imported. Imports core, plan, policy, ui."""
