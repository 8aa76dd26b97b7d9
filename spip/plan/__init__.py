"""What an installer plans to install: pip's installation report as pydantic models, which is
also the plan spip checks whatever the installer. Imports only :mod:`spip.core`."""
