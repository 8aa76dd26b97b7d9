"""``spip audit``: the checks and the gate of an install, on what a project declares or an
environment holds, without installing anything (for CI jobs and pre-commit hooks).

Sits above ``install``, whose findings document and gate passage it shares, and may
import every layer below it; only ``cli`` imports it.
"""
