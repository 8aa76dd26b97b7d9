"""spip: a guard in front of ``pip install`` that checks pip's plan before anything lands."""

__version__ = "0.1.0"
