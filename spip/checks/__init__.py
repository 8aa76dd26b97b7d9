"""The checks: one module per check behind one contract (:mod:`spip.checks.base`), run by
stage by :mod:`spip.checks.registry`. Imports index, local, policy, ui, plan, core."""
