"""Serve a package index until killed: ``python -m tests.fakeindex serve --dir DIR``.

Prints the base URL (for ``SPIP_PYPI_URL``) and the simple API URL (for
``--index-url``) on two lines, then serves.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path

from tests.fakeindex.server import FakeIndex

DIST_PATTERNS = ("*.whl", "*.tar.gz", "*.zip")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeindex")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a catalogue until killed")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="default: a free port")
    serve.add_argument("--delay", type=float, default=0.0, help="seconds added to every answer")
    serve.add_argument(
        "--dir", type=Path, action="append", default=[], help="serve the wheels and sdists in DIR"
    )
    serve.add_argument(
        "--packages",
        type=int,
        default=0,
        metavar="N",
        help="also serve N generated wheels bench-pkg-0000.. where each requires the next",
    )
    return parser.parse_args(argv)


def publish_chain(index: FakeIndex, count: int) -> None:
    """``bench-pkg-0000`` requires ``bench-pkg-0001`` ... so installing the first plans all."""
    names = [f"bench-pkg-{i:04d}" for i in range(count)]
    for name, following in zip(names, [*names[1:], None], strict=True):
        index.publish(name, "1.0.0", requires=[following] if following else [])


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    with FakeIndex(host=args.host, port=args.port) as index:
        index.delay = args.delay
        for folder in args.dir:
            for pattern in DIST_PATTERNS:
                for path in sorted(folder.glob(pattern)):
                    index.add(path)
        publish_chain(index, args.packages)
        print(index.url, index.simple_url, sep="\n", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
