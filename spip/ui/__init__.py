"""What people see: text neutralised for the terminal, findings and plans on stderr.
Imports :mod:`spip.core` and :mod:`spip.policy`."""
