"""What the checks produce and how spip decides: findings, settings, the gate.
Imports :mod:`spip.core` and :mod:`spip.plan`."""
