"""The checks: one module per check id; the list of them is in ``registry``."""
