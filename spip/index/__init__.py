"""Talking to package indexes: the HTTP client configured like pip's, its cache, the PyPI
client, fetching and verifying planned files, reading wheels. Raises its own errors
(:mod:`spip.index.errors`). Imports the layers below it (core, plan, ui)."""
