"""Writing a file so that readers see the old content or the new one, never half of it."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a uniquely named temporary file beside it.

    Two writers at once, or a run killed half-way, leave either file whole.
    Raises ``OSError`` when the folder cannot be written.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_link(src: Path, dest: Path) -> None:
    """Put a hard link to (or, across file systems, a copy of) ``src`` at ``dest`` atomically."""
    import shutil

    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    try:
        os.unlink(tmp)
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def cannot_write(path: Path) -> str | None:
    """Why a file cannot be written at ``path`` (through a symlink, or into a device such
    as ``/dev/stdout``), in a few words; None when it can."""
    try:
        st = os.stat(path)  # what a symlink points at
    except FileNotFoundError:
        folder = Path(os.path.realpath(path)).parent
        if not folder.is_dir():
            return "its folder does not exist"
        return None if os.access(folder, os.W_OK) else "its folder is not writable"
    except OSError as exc:
        return exc.strerror or str(exc)
    if stat.S_ISDIR(st.st_mode):
        return "it is a folder"
    if not os.access(path, os.W_OK):
        return "it is not writable"
    if stat.S_ISREG(st.st_mode) and not os.access(Path(os.path.realpath(path)).parent, os.W_OK):
        return "its folder is not writable"
    return None
