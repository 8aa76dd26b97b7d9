"""The requirement-name parser."""

from __future__ import annotations

import pytest

from spip.core.reqnames import requirement_name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("requests", "requests"),
        ("requests[socks]>=2", "requests"),
        ("pkg @ https://h/pkg.whl", "pkg"),
        ("Django==4; python_version>'3'", "django"),
        ("Foo.Bar_baz>=1", "foo-bar-baz"),
        ("pkg.whl", None),
        ("pkg-1.0.tar.gz", None),
        ("./local", None),
        ("dist/x-1.0-py3-none-any.whl", None),
        ("git+https://h/r", None),
        ("https://h/x.tar.gz", None),
    ],
)
def test_requirement_name(text, name):
    assert requirement_name(text) == name


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("requests", "requests"),
        (" Zope.Interface ", "zope-interface"),
        ("a", "a"),
        ("requests>=2", None),
        ("requests[socks]", None),
        ("pkg @ https://h/pkg.whl", None),
        ("six; python_version>'3'", None),
        ("-e", None),
        ("pkg-", None),
    ],
)
def test_a_name_alone_is_read_without_the_requirement_grammar(text, bare):
    from spip.core.reqnames import bare_name

    assert bare_name(text) == bare
    if bare is not None:  # what packaging's grammar reads there too
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name

        assert canonicalize_name(Requirement(text).name) == bare == requirement_name(text)


def test_names_alone_import_no_requirement_grammar(tmp_path):
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path\n"
        "from spip.installer.uv_args import direct_references, parse\n"
        "from spip.installer.pip_args import typed_names, version_limits\n"
        "args = parse(['requests', 'Zope.Interface'])\n"
        "assert typed_names(args, Path('.')) == ['requests', 'zope-interface']\n"
        "assert not version_limits(args, Path('.')).constrained\n"
        "assert direct_references(args) == []\n"
        "print('packaging.requirements' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert done.stdout.strip() == "False"
