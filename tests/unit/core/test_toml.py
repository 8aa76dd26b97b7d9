"""The TOML writer: what it writes reads back as it was."""

from __future__ import annotations

import datetime

from spip.core.toml import dumps, loads


def test_tables_read_back_as_written() -> None:
    doc = {
        "tool": {
            "requirements": [{"name": "black", "extras": ["d"], "specifier": ">=24"}],
            "python": 'C:\\Python "3"\x7f\u00e9\U0001f600\n',
            "options": {"compile-bytecode": True, "exclude-newer": datetime.date(2024, 1, 2)},
            "a.b": 1,
        },
        "other": {"empty": [], "nested": {"deep": {"x": 1.5}}},
    }
    assert loads(dumps(doc)) == doc
