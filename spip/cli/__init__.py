"""The ``spip`` command line (import-light: plain pip commands load nothing more).
The top layer."""
