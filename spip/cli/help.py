"""The text ``spip install --help`` adds to pip's: spip's options, the gate, exit statuses."""

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
