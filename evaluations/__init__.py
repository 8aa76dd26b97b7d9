"""Evaluations of spip on real data (``make eval-ci``)."""
