"""spip's benchmarks: ``make bench`` (``python -m benchmarks.bench``)."""
