"""Real distribution files built by hand: wheels, sdists, and wheels of installed tools.

Everything is written directly with ``zipfile``/``tarfile`` (no setuptools), with
fixed timestamps, so the same inputs give the same bytes and a build takes a
millisecond.
"""

from __future__ import annotations

import base64
import csv
import ensurepip
import gzip
import hashlib
import io
import shutil
import tarfile
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
SETUPTOOLS_PYPROJECT = (
    '[build-system]\nrequires = ["setuptools>=40.8.0"]\nbuild-backend = "setuptools.build_meta"\n'
)
# setuptools before this version builds wheels with the separate ``wheel`` package.
SETUPTOOLS_WITHOUT_WHEEL = Version("70.1")

Files = Mapping[str, "bytes | str"]


def unique_name(prefix: str = "spiptest") -> str:
    """A project name no other test (or xdist worker) uses, far from any popular name."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def underscore_name(name: str) -> str:
    """The normalised name with underscores.

    It is the name part of wheel and sdist file names (PEP 427/491/625) and the
    import name of the module that the builders put in by default.
    """
    return canonicalize_name(name).replace("-", "_")


def default_files(name: str, version: str) -> dict[str, str]:
    """The one module a built distribution has unless told otherwise."""
    return {f"{underscore_name(name)}/__init__.py": f'__version__ = "{version}"\n'}


def core_metadata(
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    summary: str | None = None,
    description: str | None = None,
    requires_python: str | None = None,
    metadata: Mapping[str, str | Sequence[str]] | None = None,
) -> str:
    """Core metadata 2.1 text (``METADATA``/``PKG-INFO``); the description is the body."""
    headers: list[tuple[str, str]] = [
        ("Metadata-Version", "2.1"),
        ("Name", name),
        ("Version", version),
    ]
    if summary is not None:
        headers.append(("Summary", summary))
    if requires_python is not None:
        headers.append(("Requires-Python", requires_python))
    for key, value in (metadata or {}).items():
        values = [value] if isinstance(value, str) else list(value)
        headers.extend((key, item) for item in values)
    headers.extend(("Requires-Dist", requirement) for requirement in requires)
    text = "".join(f"{key}: {value}\n" for key, value in headers)
    if description is not None:
        text += "\n" + description
    return text


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode() if isinstance(data, str) else data


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def _expand_tag(tag: str) -> list[str]:
    """``py2.py3-none-any`` -> ``["py2-none-any", "py3-none-any"]``."""
    pythons, abis, platforms = tag.split("-")
    return [
        f"{python}-{abi}-{platform}"
        for python in pythons.split(".")
        for abi in abis.split(".")
        for platform in platforms.split(".")
    ]


def _wheel_file(tag: str) -> str:
    purelib = "true" if tag.endswith("-none-any") else "false"
    lines = ["Wheel-Version: 1.0", "Generator: fakeindex", f"Root-Is-Purelib: {purelib}"]
    lines += [f"Tag: {expanded}" for expanded in _expand_tag(tag)]
    return "\n".join(lines) + "\n"


def _entry_points_file(entry_points: Mapping[str, Mapping[str, str]]) -> str:
    sections = []
    for group, entries in entry_points.items():
        body = "".join(f"{key} = {value}\n" for key, value in entries.items())
        sections.append(f"[{group}]\n{body}")
    return "\n".join(sections)


def write_wheel(
    path: Path,
    contents: Mapping[str, bytes],
    dist_info: str,
    *,
    date_time: tuple[int, int, int, int, int, int] = FIXED_DATE_TIME,
) -> Path:
    """Zip ``contents`` (archive path -> bytes) into ``path``, adding ``<dist_info>/RECORD``."""
    record_path = f"{dist_info}/RECORD"
    rows = [(name, _record_hash(data), str(len(data))) for name, data in contents.items()]
    record = io.StringIO()
    csv.writer(record, lineterminator="\n").writerows([*rows, (record_path, "", "")])
    entries = {**contents, record_path: record.getvalue().encode()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    summary: str | None = "A test package",
    description: str | None = "Long description.",
    metadata: Mapping[str, str | Sequence[str]] | None = None,
    files: Files | None = None,
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
    tag: str = "py3-none-any",
    requires_python: str | None = None,
    date_time: tuple[int, int, int, int, int, int] = FIXED_DATE_TIME,
) -> Path:
    """Write a real wheel of ``name`` ``version`` into ``dest`` and return its path.

    ``metadata`` adds core-metadata headers (a list value repeats the header);
    ``files`` replaces the default ``<module>/__init__.py`` at the wheel root;
    another ``date_time`` gives other bytes for the same contents.
    """
    if files is None:
        files = default_files(name, version)
    stem = f"{underscore_name(name)}-{version.replace('-', '_')}"
    dist_info = f"{stem}.dist-info"
    meta = core_metadata(
        name,
        version,
        requires=requires,
        summary=summary,
        description=description,
        requires_python=requires_python,
        metadata=metadata,
    )
    contents = {path: _as_bytes(data) for path, data in files.items()}
    contents[f"{dist_info}/METADATA"] = meta.encode()
    contents[f"{dist_info}/WHEEL"] = _wheel_file(tag).encode()
    if entry_points:
        contents[f"{dist_info}/entry_points.txt"] = _entry_points_file(entry_points).encode()
    dest.mkdir(parents=True, exist_ok=True)
    return write_wheel(dest / f"{stem}-{tag}.whl", contents, dist_info, date_time=date_time)


def default_setup_py(name: str, version: str, requires: Sequence[str], files: Iterable[str]) -> str:
    """A minimal ``setuptools.setup()`` call for the packages and modules in ``files``."""
    init = "/__init__.py"
    packages = sorted(p[: -len(init)].replace("/", ".") for p in files if p.endswith(init))
    modules = sorted(p[:-3] for p in files if "/" not in p and p.endswith(".py"))
    return (
        "from setuptools import setup\n\n"
        f"setup(name={name!r}, version={version!r}, packages={packages!r}, "
        f"py_modules={modules!r}, install_requires={list(requires)!r})\n"
    )


def build_sdist(
    dest: Path,
    name: str,
    version: str,
    *,
    setup_py: str | None = None,
    pyproject_toml: str | None = SETUPTOOLS_PYPROJECT,
    requires: Sequence[str] = (),
    summary: str | None = "A test package",
    description: str | None = "Long description.",
    metadata: Mapping[str, str | Sequence[str]] | None = None,
    requires_python: str | None = None,
    files: Files | None = None,
) -> Path:
    """Write a real ``.tar.gz`` sdist that pip builds with setuptools; return its path.

    ``setup_py`` defaults to a plain ``setup()`` call; ``pyproject_toml=None``
    leaves the file out (pip then also wants the ``wheel`` package to build it).
    The other options shape ``PKG-INFO``, which is what an index reads.
    """
    if files is None:
        files = default_files(name, version)
    if setup_py is None:
        setup_py = default_setup_py(name, version, requires, files)
    stem = f"{underscore_name(name)}-{version}"
    contents = {path: _as_bytes(data) for path, data in files.items()}
    pkg_info = core_metadata(
        name,
        version,
        requires=requires,
        summary=summary,
        description=description,
        requires_python=requires_python,
        metadata=metadata,
    )
    contents["PKG-INFO"] = pkg_info.encode()
    contents["setup.py"] = setup_py.encode()
    if pyproject_toml is not None:
        contents["pyproject.toml"] = pyproject_toml.encode()
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{stem}.tar.gz"
    with (
        path.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for member, data in sorted(contents.items()):
            info = tarfile.TarInfo(f"{stem}/{member}")
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    return path


def repack_installed(distribution: str, dest: Path) -> Path:
    """A wheel of an installed distribution, rebuilt from the files its RECORD lists.

    Scripts outside site-packages and installer bookkeeping are left out.
    Raises ``importlib.metadata.PackageNotFoundError`` when it is not installed.
    """
    dist = importlib_metadata.distribution(distribution)
    dist_info = next(f.parts[0] for f in dist.files or () if f.parts[0].endswith(".dist-info"))
    skipped = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    contents = {
        f.as_posix(): Path(dist.locate_file(f)).read_bytes()
        for f in dist.files or ()
        if ".." not in f.parts
        and "__pycache__" not in f.parts
        and not (f.parts[0] == dist_info and f.name in skipped)
    }
    tag = _expand_tag(_wheel_tag(contents[f"{dist_info}/WHEEL"]))[0]
    stem = f"{underscore_name(dist.metadata['Name'])}-{dist.version}"
    dest.mkdir(parents=True, exist_ok=True)
    return write_wheel(dest / f"{stem}-{tag}.whl", contents, dist_info)


def _wheel_tag(wheel_file: bytes) -> str:
    return next(
        line.split(":", 1)[1].strip()
        for line in wheel_file.decode().splitlines()
        if line.startswith("Tag:")
    )


def repack_closure(names: Iterable[str], dest: Path) -> list[Path]:
    """Wheels of installed distributions ``names`` and of all they require, here and now."""
    wheels: list[Path] = []
    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = canonicalize_name(pending.pop())
        if name in seen:
            continue
        seen.add(name)
        wheels.append(repack_installed(name, dest))
        for text in importlib_metadata.requires(name) or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return wheels


def is_installed(name: str) -> bool:
    try:
        importlib_metadata.distribution(name)
    except importlib_metadata.PackageNotFoundError:
        return False
    return True


def build_backend_wheels(dest: Path) -> list[Path]:
    """Wheels with which pip builds a setuptools sdist offline, in its isolated build env.

    setuptools and wheel come from this interpreter's installation (repacked,
    with what they require); without an installed setuptools, from
    ``ensurepip``'s bundle (Python <= 3.11). setuptools older than 70.1 needs
    wheel. Raises ``LookupError`` with the reason when no usable set exists.
    """
    installed = [name for name in ("setuptools", "wheel") if is_installed(name)]
    wheels = repack_closure(installed, dest)
    if "setuptools" not in installed:
        bundled = sorted(Path(ensurepip.__file__).parent.glob("_bundled/setuptools-*.whl"))
        if not bundled:
            raise LookupError("no setuptools to serve to pip's build environment")
        wheels.append(Path(shutil.copy(bundled[-1], dest)))
    setuptools = next(wheel for wheel in wheels if wheel.name.startswith("setuptools-"))
    setuptools_version = Version(setuptools.name.split("-")[1])
    if "wheel" not in installed and setuptools_version < SETUPTOOLS_WITHOUT_WHEEL:
        raise LookupError(
            f"setuptools {setuptools_version} needs the 'wheel' package to build wheels, "
            "and none is installed: install setuptools>=70.1 (or wheel)"
        )
    return wheels


@dataclass(frozen=True)
class RawMember:
    """One member of a hand-made zip: what an ordinary zip writer would not produce.

    ``local_name``: another name in the local header than in the central directory;
    ``comment``: padding in the central-directory entry; ``bad_crc``: a wrong CRC-32.
    """

    name: str
    data: bytes
    local_name: str | None = None
    comment: bytes = b""
    bad_crc: bool = False


def craft_zip(path: Path, members: Sequence[RawMember]) -> Path:
    """Write a zip byte by byte (stored members), duplicates and odd names allowed."""
    import struct
    import zlib

    body, directory = bytearray(), bytearray()
    for m in members:
        crc = zlib.crc32(m.data) ^ (1 if m.bad_crc else 0)
        name, local = m.name.encode(), (m.local_name or m.name).encode()
        offset = len(body)
        body += struct.pack(
            "<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0x800, 0, 0, 0x21, crc,
            len(m.data), len(m.data), len(local), 0,
        )  # fmt: skip
        body += local + m.data
        directory += struct.pack(
            "<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0x800, 0, 0, 0x21, crc,
            len(m.data), len(m.data), len(name), 0, len(m.comment), 0, 0, 0o644 << 16, offset,
        )  # fmt: skip
        directory += name + m.comment
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(body), 0
    )
    path.write_bytes(bytes(body + directory + end))
    return path


def crafted_wheel(
    dest: Path, name: str, version: str, members: Sequence[RawMember], tag: str = "py3-none-any"
) -> Path:
    """A wheel of ``name`` ``version`` with ``members`` besides a valid .dist-info (its
    RECORD lists them), written with :func:`craft_zip`."""
    stem = f"{underscore_name(name)}-{version}"
    info = f"{stem}.dist-info"
    meta = {
        f"{info}/METADATA": core_metadata(name, version, summary="A test package").encode(),
        f"{info}/WHEEL": _wheel_file(tag).encode(),
    }
    rows = [(m.name, _record_hash(m.data), str(len(m.data))) for m in members]
    rows += [(n, _record_hash(d), str(len(d))) for n, d in meta.items()]
    record = io.StringIO()
    csv.writer(record, lineterminator="\n").writerows([*rows, (f"{info}/RECORD", "", "")])
    everything = [
        *members,
        *(RawMember(n, d) for n, d in meta.items()),
        RawMember(f"{info}/RECORD", record.getvalue().encode()),
    ]
    dest.mkdir(parents=True, exist_ok=True)
    return craft_zip(dest / f"{stem}-{tag}.whl", everything)
