"""Fixtures the end-to-end modules share."""

from tests.e2e.test_install import clean_pkg, url_dep_pkg  # noqa: F401
