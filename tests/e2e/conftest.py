"""Fixtures the end-to-end modules share."""

import os
from pathlib import Path

import pytest

from tests.e2e.test_install import clean_pkg, url_dep_pkg  # noqa: F401


@pytest.fixture
def pip26_venv(venv):
    """``venv`` with pip 26 (``--uploaded-prior-to``) from the wheel ``PIP_26_WHEEL`` names;
    tests never download it (``pip download 'pip>=26' -d DIR`` gets one)."""
    wheel = os.environ.get("PIP_26_WHEEL", "")
    if not wheel or not Path(wheel).is_file():
        pytest.skip("set PIP_26_WHEEL to a pip 26 wheel file to test the cooldown on new pip")
    venv.pip("install", "--no-index", "--no-deps", wheel)
    return venv
