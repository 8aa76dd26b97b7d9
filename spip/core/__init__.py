"""Small helpers every layer may use: atomic writes, hashing, distribution file names,
TOML, requirement names, logging, the clock. Imports nothing else of spip."""
