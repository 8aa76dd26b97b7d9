"""One guarded install, step by step (:mod:`spip.install.pipeline`), its typed state and,
apart, the head-start machinery that overlaps work with the installer. Imports every layer
below it; nothing imports it but the CLI."""
