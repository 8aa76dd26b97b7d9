"""Reading a ``uv pip install`` command line without running uv.

The same reader as pip's (:func:`spip.installer.pip_args.parse`) with uv's grammar:
which options take a value, which only shape the plan (kept for the planning runs),
and which say where and how to install (kept for the offline install of the
verified files). Anything else is uv's to judge: it reports its own usage errors
in the planning run.
"""

from __future__ import annotations

from collections.abc import Mapping

from spip.installer.pip_args import PYPI_SIMPLE, Grammar, PipInstallArgs

_VALUE_OPTIONS = frozenset(
    {
        "-r",
        "--requirements",
        "--requirement",
        "-e",
        "--editable",
        "--no-editable-package",
        "-c",
        "--constraints",
        "--constraint",
        "--overrides",
        "--excludes",
        "-b",
        "--build-constraints",
        "--extra",
        "--cert",
        "--group",
        "-t",
        "--target",
        "--prefix",
        "--no-binary",
        "--only-binary",
        "--python-version",
        "--python-platform",
        "--output-format",
        "--torch-backend",
        "--index",
        "--default-index",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--index-strategy",
        "--keyring-provider",
        "-P",
        "--upgrade-package",
        "--upgrade-group",
        "--resolution",
        "--prerelease",
        "--prerelease-package",
        "--fork-strategy",
        "--exclude-newer",
        "--exclude-newer-package",
        "--no-sources-package",
        "--reinstall-package",
        "--link-mode",
        "-C",
        "--config-setting",
        "--config-settings",
        "--config-settings-package",
        "--no-build-isolation-package",
        "--no-build-package",
        "--no-binary-package",
        "--cache-dir",
        "--refresh-package",
        "-p",
        "--python",
        "--color",
        "--allow-insecure-host",
        "--directory",
        "--project",
        "--config-file",
    }
)
_SHORT_WITH_VALUE = frozenset({"-r", "-e", "-c", "-b", "-t", "-i", "-f", "-P", "-C", "-p"})
_ALIASES = {
    "--requirements": "-r",
    "--requirement": "-r",
    "--editable": "-e",
    "--constraints": "-c",
    "--constraint": "-c",
    "--target": "-t",
    "--python": "-p",
    "--index-url": "-i",
    "--find-links": "-f",
    "--upgrade": "-U",
    "--no-cache": "-n",
    "--quiet": "-q",
    "--verbose": "-v",
}
UV = Grammar(_VALUE_OPTIONS, _SHORT_WITH_VALUE, _ALIASES)

# What the offline install of the verified files keeps of the user's options: where
# and how to install, and how loud. Everything else only shaped the plan (or points
# at other sources: indexes, find-links, config files), and is dropped.
_INSTALL_OPTIONS = frozenset(
    {
        "-t",
        "--prefix",
        "--system",
        "--break-system-packages",
        "--no-break-system-packages",
        "--reinstall",
        "--reinstall-package",
        "--link-mode",
        "--compile-bytecode",
        "--python-platform",
        "--python-version",
        "-q",
        "-v",
        "--color",
        "--no-progress",
        "--managed-python",
        "--no-managed-python",
        "--no-python-downloads",
    }
)
# What the planning run drops of the user's options (spip gives its own).
_PLAN_DROPS = frozenset({"--dry-run", "--output-format", "-p", "--no-build", "-q"})
# What ``uv pip compile`` of the user's own requirements drops (it reads the ``-r`` files
# as its sources; the rest say where and how to install, which a compile does not do).
_COMPILE_DROPS = _PLAN_DROPS | {
    "-r",
    "-e",
    "--no-editable",
    "--no-editable-package",
    "--require-hashes",
    "--no-verify-hashes",
    "--break-system-packages",
    "--no-break-system-packages",
    "-t",
    "--prefix",
    "--user",
    "--exact",
    "--strict",
    "--check",
    "--reinstall",
    "--reinstall-package",
    "--compile-bytecode",
    "-v",
}
# What ``uv pip compile`` (files and hashes of the pinned plan) keeps: where to look.
_INDEX_OPTIONS = frozenset(
    {
        "--index",
        "--default-index",
        "-i",
        "--extra-index-url",
        "-f",
        "--no-index",
        "--index-strategy",
        "--keyring-provider",
        "--allow-insecure-host",
        "--torch-backend",
        "--cert",
        "--system-certs",
        "--native-tls",
        "--offline",
        "--cache-dir",
        "-n",
        "--refresh",
        "--config-file",
        "--no-config",
        "--directory",
        "--project",
        "--managed-python",
        "--no-managed-python",
        "--no-python-downloads",
        "--python-platform",
        "--python-version",
        "--prerelease",
    }
)


def parse(args: list[str]) -> PipInstallArgs:
    from spip.installer.pip_args import parse as parse_args

    return parse_args(args, UV)


def install_options(args: PipInstallArgs) -> list[str]:
    return [t for o in args.options if o.name in _INSTALL_OPTIONS for t in o.tokens]


def plan_options(args: PipInstallArgs, sync: bool = False) -> list[str]:
    """The user's options for the planning run (a sync's ``-r`` files are its arguments)."""
    return args.tokens(drop=_PLAN_DROPS | {"-r"} if sync else _PLAN_DROPS)


def compile_options(args: PipInstallArgs) -> list[str]:
    """The user's options that shape a resolution, for ``uv pip compile`` of the same
    requirements (indexes, constraints, extras, prerelease and resolution strategy)."""
    return args.tokens(drop=_COMPILE_DROPS)


def index_options(args: PipInstallArgs) -> list[str]:
    return [t for o in args.options if o.name in _INDEX_OPTIONS for t in o.tokens]


def index_urls(args: PipInstallArgs, environ: Mapping[str, str]) -> list[str]:
    """The simple APIs uv resolves from (main first): ``--default-index``/``--index-url``
    (else ``UV_DEFAULT_INDEX``/``UV_INDEX_URL``, else PyPI's), ``--index`` (``[name=]url``)
    and ``--extra-index-url`` and their variables; none under ``--no-index``."""
    if args.has("--no-index"):
        return []
    main = (
        args.last("--default-index")
        or args.last("-i")
        or environ.get("UV_DEFAULT_INDEX", "").strip()
        or environ.get("UV_INDEX_URL", "").strip()
        or PYPI_SIMPLE
    )
    named = [*args.values("--index"), *environ.get("UV_INDEX", "").split()]
    extra = [*args.values("--extra-index-url"), *environ.get("UV_EXTRA_INDEX_URL", "").split()]
    urls = [u.split("=", 1)[1] if "=" in u.split("://", 1)[0] else u for u in named]
    return list(dict.fromkeys([main, *urls, *extra]))


def direct_references(args: PipInstallArgs) -> list[str]:
    """What the user typed that is no index project: a path, a URL, ``name @ url``, ``-e``.

    A ``name==version`` pin cannot stand for those, so spip's uv support refuses them.
    """
    from spip.core.reqnames import bare_name, requirement_name

    found = args.values("-e")
    for text in args.requirements:
        name = requirement_name(text)
        if name is not None and bare_name(text) is not None:
            continue  # an index project's name alone
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            direct = name is None or Requirement(text).url is not None
        except InvalidRequirement:
            direct = True
        if direct:
            found.append(text)
    return found
