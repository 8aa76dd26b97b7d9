"""``spip audit``: the checks and the gate of an install, without installing anything."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from spip.audit.flow import Audit

FORMATS = ("text", "json", "sarif", "markdown")


@click.command(name="audit", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-r",
    "--requirement",
    "requirements",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A requirements file to audit (repeatable).",
)
@click.option(
    "--extra",
    "extras",
    multiple=True,
    help="With a pyproject.toml: also its optional dependencies EXTRA (repeatable).",
)
@click.option("--all-extras", is_flag=True, help="With a pyproject.toml: every optional group.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="What to print on stdout: nothing but the findings on stderr (text), the findings "
    "document (json), SARIF 2.1.0 (sarif) or a CI job summary (markdown).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report (--format) to this file instead of stdout.",
)
@click.option("--sensitivity", type=click.Choice(["low", "medium", "high"], case_sensitive=False))
@click.option("--ignore-warning", is_flag=True, default=None, help="Pass despite findings.")
@click.option(
    "--allow", "allow", multiple=True, help="Accept PACKAGE or PACKAGE:CHECK (repeatable)."
)
@click.option("--findings-json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-i", "--index-url", help="pip's index to resolve requirements against.")
@click.option("--extra-index-url", multiple=True, help="Another index for pip (repeatable).")
@click.option("-f", "--find-links", multiple=True, help="pip's find-links (repeatable).")
@click.option("-c", "--constraint", multiple=True, help="A constraints file for pip (repeatable).")
@click.option("--python", help="The interpreter whose environment is audited or resolved for.")
def audit(
    files: tuple[Path, ...],
    requirements: tuple[Path, ...],
    extras: tuple[str, ...],
    all_extras: bool,
    fmt: str,
    output: Path | None,
    sensitivity: str | None,
    ignore_warning: bool | None,
    allow: tuple[str, ...],
    findings_json: Path | None,
    index_url: str | None,
    extra_index_url: tuple[str, ...],
    find_links: tuple[str, ...],
    constraint: tuple[str, ...],
    python: str | None,
) -> None:
    """Check requirements files, pylock.toml, pyproject.toml or, given no FILES, the
    installed environment, as `spip install` would, installing nothing.

    FILES are told apart by name: pylock.toml and pylock.*.toml are PEP 751 lock files,
    pyproject.toml a project (its [project] dependencies), anything else a requirements
    file. Exit status: 0 the gate would pass, 10 it would stop an install of this (a
    finding that would ask counts: an audit never asks), 2 bad input, pip's own status
    when pip cannot resolve the requirements.
    """
    from spip.audit import flow
    from spip.audit.inputs import InputError
    from spip.core.atomic import atomic_write
    from spip.index.errors import ClientSettingsError
    from spip.installer.pip_args import ArgsError
    from spip.policy import config as config_mod

    pip_options: list[str] = []
    for name, values in (
        ("--index-url", (index_url,) if index_url else ()),
        ("--extra-index-url", extra_index_url),
        ("--find-links", find_links),
        ("--constraint", constraint),
        ("--python", (python,) if python else ()),
    ):
        for value in values:
            pip_options += [name, value]
    cli: dict[str, object] = {
        "sensitivity": sensitivity,
        "ignore_warning": ignore_warning,
        "findings_json": findings_json,
    }
    try:
        settings = config_mod.load(cli)
        if allow:
            settings = config_mod.load({**cli, "allow": [*settings.allow, *allow]})
        for path in (*requirements, *files):
            if not path.is_file():
                raise InputError(f"no such file: {path}")
        request = flow.AuditRequest(
            files=(*requirements, *files),
            pip_options=tuple(pip_options),
            extras=extras,
            all_extras=all_extras,
        )
        result = flow.run(request, settings)
    except (config_mod.ConfigError, InputError, ArgsError, ClientSettingsError) as exc:
        click.echo(f"spip: error: {exc}", err=True)
        sys.exit(2)
    state = result.state
    checked = f"{len(state.plan)} distribution{'s' if len(state.plan) != 1 else ''}"
    verdict = "the gate would pass" if state.status == 0 else "the gate would refuse"
    click.echo(
        f"spip: audit: {checked} checked, {len(state.findings)} findings; {verdict} "
        f"(exit status {state.status}).",
        err=True,
    )
    if fmt != "text":
        text = _render(fmt, result)
        if output is None:
            click.echo(text, nl=False)
        else:
            atomic_write(output, text)
    sys.exit(state.status)


def _render(fmt: str, result: Audit) -> str:
    from spip.audit.markdown import markdown
    from spip.audit.sarif import sarif
    from spip.install.document import document

    if fmt == "markdown":
        return markdown(result)
    data = sarif(result, Path.cwd()) if fmt == "sarif" else document(result.state)
    return json.dumps(data, indent=2) + "\n"
