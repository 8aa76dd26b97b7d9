"""The project's own package index for tests and benchmarks: real files, real HTTP."""

from tests.fakeindex.server import (
    FAIL_MODES,
    PROJECT_STATUSES,
    RANGE_MODES,
    FakeIndex,
    LoggedRequest,
    osv_record,
)
from tests.fakeindex.wheels import (
    build_backend_wheels,
    build_sdist,
    build_wheel,
    repack_installed,
    underscore_name,
    unique_name,
)

__all__ = [
    "FAIL_MODES",
    "PROJECT_STATUSES",
    "RANGE_MODES",
    "FakeIndex",
    "LoggedRequest",
    "build_backend_wheels",
    "build_sdist",
    "build_wheel",
    "osv_record",
    "repack_installed",
    "underscore_name",
    "unique_name",
]
