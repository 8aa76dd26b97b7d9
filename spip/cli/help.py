"""The text spip adds to pip's help: ``spip --help`` gets spip's commands, and both it and
``spip install --help`` spip's options, the gate and the exit statuses."""

from __future__ import annotations


def spip_options_help() -> str:
    from spip.policy.gate import EXIT_QUARANTINED, EXIT_REFUSED, EXIT_UNSAFE, describe

    return f"""
spip options (anywhere among pip's arguments; also SPIP_* variables and [tool.spip]):
  --sensitivity low|medium|high  How easily the gate stops:
                                   low (default): {describe("low")};
                                   medium: {describe("medium")};
                                   high: {describe("high")}.
  --ignore-warning               Install despite findings (they are still printed and
                                 written to the findings file).
  --findings-json PATH           Write the findings, the plan and the decision as JSON.
  --cooldown / --no-cooldown     Hold releases younger than fresh-release-hours (48) back
                                 and install the newest older one (default), or ask about
                                 them instead.
  --strict-cooldown              Refuse a plan with a release younger than the cooldown
                                 rather than install an older version.
Exit status: pip's own when pip fails; {EXIT_REFUSED} when the gate stopped the install; \
{EXIT_UNSAFE} when
spip could not go on safely; {EXIT_QUARANTINED} when a startup file the install dropped was \
quarantined.
"""


def spip_commands_help() -> str:
    return """
spip commands (every other command is plain pip):
  install                     pip's install, with every planned distribution checked
                              before anything lands; see spip install --help.
  audit                       Check a requirements file, pylock.toml, pyproject.toml
                              or this environment without installing (--help).
  uv pip install|sync, uv tool install|run, uvx
                              uv's, checked the same way (uv tool upgrade: refused;
                              other uv commands: plain uv).
  pipx install|inject|upgrade|reinstall|run
                              pipx's, checked the same way.
  shims DIR                   pip, pip3, uv, uvx and pipx shims that run through spip.
  quarantine list|restore     The startup files an install dropped that spip moved
                              aside, and the command that puts one back.
""" + spip_options_help()
