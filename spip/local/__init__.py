"""What spip keeps on this machine between runs: the install history and the quarantine
store. Imports :mod:`spip.core`, :mod:`spip.plan`, :mod:`spip.ui`."""
