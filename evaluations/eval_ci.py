"""``make eval-ci``: spip's refusal rate on real, legitimate projects (opt-in, real index).

For every project of ``evaluations/ci_projects.txt`` (ranks 1-300, 1001-1100 and
5001-5100 of the popular list; see ``evaluations/README.md``) this runs, as a CI job
would::

    spip install --dry-run --findings-json F NAME      (stdin closed)

- spip runs from a fresh venv under a temp dir with spip installed from this
  checkout (``pip install .``), or from ``--python``; ``--pip SPEC`` puts another pip
  into it and into the target;
- the target environment is one venv holding nothing but pip (``VIRTUAL_ENV``), shared
  read-only by every run (a dry run installs nothing); the project ``pip`` itself,
  which is already there, is dry-run with ``--ignore-installed``;
- the machine's pip configuration is used as it is (no ``PIP_CONFIG_FILE``); the
  caller's ``SPIP_*`` settings are dropped except ``SPIP_PYPI_URL``; one
  ``SPIP_CACHE_DIR`` for the whole evaluation;
- a run that exceeds ``--timeout`` (600 s) is an error, not a refusal.

One dry run per project gives its findings; the real exit status is the verdict at
the default sensitivity, and the verdict at every other sensitivity is computed from
the findings with the gate table (README, "The gate"): with stdin closed a question is
a No, so a project is refused as soon as one finding makes the gate ask or stop.

``--simulate-fresh HOURS`` sets ``SPIP_NOW`` for each run to the upload time of the
newest file of the project's newest release (the index's JSON API) plus HOURS, for each
project whose newest release is at most ``SIMULATE_WITHIN_DAYS`` old (the others run at
the real time, and are counted apart): that
release looks HOURS old and the rest of the plan keeps its real relative ages, so the
cooldown can be seen holding releases back on real data (the findings document's
``held_back`` list).

The Markdown report goes to stdout (progress to stderr); ``--json PATH`` writes every
result. Targets (the issue): 0 refusals at the default sensitivity, also with fresh
releases simulated (and every held-back release reported); at most 5% at ``medium``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROJECTS_FILE = Path(__file__).resolve().parent / "ci_projects.txt"
DEFAULT_RANKS = "1-300,1001-1100,5001-5100"
SENSITIVITIES = ("low", "medium", "high")
DEFAULT_SENSITIVITY = "low"
# The targets: the largest refusal rate allowed at each sensitivity (None: no target).
TARGETS: dict[str, float | None] = {"low": 0.0, "medium": 0.05, "high": None}
SEVERITIES = {"LOW": 1, "MEDIUM": 2, "HIGH": 3}
EXIT_REFUSED = 10
DEFAULT_TIMEOUT = 600.0
FRESH_RELEASE_HOURS = 48.0  # spip's default fresh-release-hours: the cooldown to expect
MESSAGE_CHARS = 160
# Outcome categories of one project at one sensitivity.
PASSED, REFUSED, PIP_FAILED, ERROR = "passed", "refused", "pip-failure", "error"

_STARTED = time.perf_counter()
_LOG_LOCK = threading.Lock()


def log(message: str) -> None:
    with _LOG_LOCK:
        print(
            f"[eval-ci {time.perf_counter() - _STARTED:6.1f}s] {message}",
            file=sys.stderr,
            flush=True,
        )


# -- the project list ------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    rank: int
    name: str


def parse_ranks(text: str) -> list[tuple[int, int]]:
    """``"1-300,1001-1100,7"`` -> ``[(1, 300), (1001, 1100), (7, 7)]``."""
    ranges: list[tuple[int, int]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        try:
            low, high = int(lo), int(hi or lo)
        except ValueError:
            raise ValueError(f"bad rank range {part!r} (expected N or N-M)") from None
        if low < 1 or high < low:
            raise ValueError(f"bad rank range {part!r}")
        ranges.append((low, high))
    if not ranges:
        raise ValueError("no rank range given")
    return ranges


def load_projects(lines: Iterable[str], ranges: Sequence[tuple[int, int]]) -> list[Project]:
    """The projects of the list (``rank<TAB>name``, ``#`` comments) within ``ranges``."""
    projects: list[Project] = []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rank_text, _, name = line.strip().partition("\t")
        rank = int(rank_text)
        if name and any(lo <= rank <= hi for lo, hi in ranges):
            projects.append(Project(rank, name.strip()))
    return sorted(projects, key=lambda p: p.rank)


# -- the gate table --------------------------------------------------------------------


def gate_action(severity: str, sensitivity: str) -> str:
    """``warn``, ``ask`` or ``stop``: the README's gate table for one finding."""
    stop_at = {"low": 3, "medium": 2, "high": 1}[sensitivity]
    level = SEVERITIES[severity.upper()]
    if level >= stop_at:
        return "stop"
    if level == stop_at - 1:
        return "ask"
    return "warn"


def gate_refuses(findings: Sequence[Mapping[str, Any]], sensitivity: str) -> bool:
    """Whether the gate refuses these findings with stdin closed (a question is a No)."""
    return any(
        gate_action(str(f.get("severity", "LOW")), sensitivity) != "warn"
        and not (f.get("informational") and sensitivity != "high")  # notes only warn
        for f in findings
    )


# -- one project's result --------------------------------------------------------------


@dataclass
class Result:
    rank: int
    name: str
    category: str  # of the real run: passed, refused, pip-failure, error
    exit_status: int | None
    seconds: float
    reason: str = ""  # for pip failures and errors: what went wrong
    document: dict[str, Any] | None = None  # the findings document
    spip_now: str | None = None  # simulate-fresh: the SPIP_NOW of the run
    newest_version: str | None = None  # simulate-fresh: the release made to look fresh
    newest_upload: str | None = None

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list((self.document or {}).get("findings") or [])

    @property
    def held_back(self) -> list[dict[str, Any]]:
        return list((self.document or {}).get("held_back") or [])

    @property
    def plan(self) -> list[dict[str, Any]]:
        return list((self.document or {}).get("plan") or [])

    @property
    def real_sensitivity(self) -> str:
        value = (self.document or {}).get("sensitivity")
        return value if value in SENSITIVITIES else DEFAULT_SENSITIVITY

    def planned_version(self, name: str) -> str | None:
        wanted = canonical(name)
        for dist in self.plan:
            if canonical(str(dist.get("name", ""))) == wanted:
                return dist.get("version")
        return None


def canonical(name: str) -> str:
    """PEP 503 normalisation."""
    out, dash = [], False
    for ch in name.lower():
        if ch in "-_.":
            if not dash:
                out.append("-")
            dash = True
        else:
            out.append(ch)
            dash = False
    return "".join(out)


def classify(exit_status: int | None, document: Mapping[str, Any] | None) -> str:
    """The category of a real run from its exit status and findings document."""
    if exit_status is None:  # timed out
        return ERROR
    if exit_status == 0:
        return PASSED
    if exit_status == EXIT_REFUSED:
        return REFUSED
    if document is not None and document.get("decision") == "pip-failed":
        return PIP_FAILED
    return ERROR


def verdict(result: Result, sensitivity: str) -> str:
    """The project's outcome at ``sensitivity``: the real run's, or computed from its findings.

    Errors stay errors. A refusal at the real run's sensitivity is a refusal at every
    stricter one (its findings may be partial: spip stops at the first refusal).
    """
    if result.category == ERROR:
        return ERROR
    order = SENSITIVITIES.index
    if gate_refuses(result.findings, sensitivity):
        return REFUSED
    if result.category == REFUSED and order(sensitivity) >= order(result.real_sensitivity):
        return REFUSED
    if result.category == REFUSED:  # a laxer sensitivity than the real run's
        return PASSED
    return result.category


def mismatch(result: Result) -> bool:
    """The real exit status disagrees with the gate table applied to the findings."""
    if result.category not in (PASSED, REFUSED):
        return False
    return (result.category == REFUSED) != gate_refuses(result.findings, result.real_sensitivity)


# -- the index's JSON API (simulate-fresh) ---------------------------------------------


def parse_time(text: str) -> datetime:
    """An ISO-8601 timestamp (``Z`` or an offset; naive means UTC) as an aware datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def format_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def newest_release(document: Mapping[str, Any]) -> tuple[str, datetime] | None:
    """The newest release of a project document (``/pypi/NAME/json``) and the upload
    time of its newest file; None when it has no file with a time."""
    info = document.get("info") or {}
    version = info.get("version")
    if not version:
        return None
    files = document.get("urls") or (document.get("releases") or {}).get(version) or []
    times = [
        parse_time(f.get("upload_time_iso_8601") or f.get("upload_time") or "")
        for f in files
        if f.get("upload_time_iso_8601") or f.get("upload_time")
    ]
    return (version, max(times)) if times else None


# Only a project whose newest release is this recent is simulated: for an older one,
# SPIP_NOW would move its whole dependency tree back to that time (every later release
# held back as "from the future") on today's Python, for which the releases of then often
# have no wheel: a time that never was, not a fresh release.
SIMULATE_WITHIN_DAYS = 90


def simulated_now(upload: datetime, hours: float) -> str:
    """The ``SPIP_NOW`` that makes a file uploaded at ``upload`` look ``hours`` old."""
    return format_time(upload + timedelta(hours=hours))


def _ssl_context() -> ssl.SSLContext:
    cafile = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE")
    if cafile and Path(cafile).is_file():
        return ssl.create_default_context(cafile=cafile)
    return ssl.create_default_context()


def fetch_project(name: str, base: str, timeout: float = 60.0) -> dict[str, Any]:
    url = f"{base.rstrip('/')}/pypi/{urllib.parse.quote(name)}/json"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    context = _ssl_context() if url.startswith("https:") else None
    with urllib.request.urlopen(request, timeout=timeout, context=context) as answer:
        return json.load(answer)


# -- the environments ------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _run(cmd: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        list(cmd), stdin=subprocess.DEVNULL, capture_output=True, text=True, **kwargs
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"eval-ci: failed ({done.returncode}): {' '.join(cmd)}")
    return done


def _copy_checkout(dest: Path) -> Path:
    """The files ``pip install .`` needs, copied (no stale build/ of the checkout)."""
    dest.mkdir(parents=True)
    for entry in ("pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "setup.py", "setup.cfg"):
        if (ROOT / entry).is_file():
            shutil.copy2(ROOT / entry, dest / entry)
    shutil.copytree(ROOT / "spip", dest / "spip", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@dataclass
class Setup:
    work: Path
    spip_python: str
    target: Path
    cache_dir: Path
    spip_version: str
    python_version: str
    pip_version: str  # the target's pip, the one spip runs
    pypi_url: str
    in_target: frozenset[str] = field(default_factory=frozenset)


def prepare(work: Path, python: str | None, pip_spec: str | None) -> Setup:
    if python:
        given = Path(python)
        spip_python = str(venv_python(given) if given.is_dir() else given)
        if pip_spec:
            log(f"installing {pip_spec} into {spip_python} ...")
            _run([spip_python, "-m", "pip", "install", "-q", "--upgrade", pip_spec])
    else:
        venv = work / "spip-venv"
        log(f"creating spip's venv {venv} ...")
        _run([sys.executable, "-m", "venv", str(venv)])
        spip_python = str(venv_python(venv))
        if pip_spec:
            log(f"installing {pip_spec} into spip's venv ...")
            _run([spip_python, "-m", "pip", "install", "-q", "--upgrade", pip_spec])
        log("installing spip from the checkout (pip install .) ...")
        source = _copy_checkout(work / "spip-source")
        _run([spip_python, "-m", "pip", "install", "-q", str(source)], cwd=work)
    probe = "import platform, spip; print(spip.__version__, platform.python_version())"
    version, python_version = _run([spip_python, "-c", probe], cwd=work).stdout.split()

    # The target: a venv with pip only, made by spip's interpreter (same Python).
    target = work / "target-venv"
    log(f"creating the target venv {target} (pip only) ...")
    _run([spip_python, "-m", "venv", "--without-pip", str(target)])
    wheel = _run(
        [
            spip_python,
            "-c",
            "import ensurepip, pathlib; d = pathlib.Path(ensurepip.__file__).parent / '_bundled';"
            " print(sorted(d.glob('pip-*.whl'))[-1])",
        ]
    ).stdout.strip()
    offline = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    offline["PIP_CONFIG_FILE"] = os.devnull
    _run(
        [
            str(venv_python(target)),
            f"{wheel}/pip",
            "install",
            "-q",
            "--no-index",
            "--no-cache-dir",
            "--disable-pip-version-check",
            wheel,
        ],
        env=offline,
    )
    if pip_spec:
        log(f"installing {pip_spec} into the target venv ...")
        _run([str(venv_python(target)), "-m", "pip", "install", "-q", "--upgrade", pip_spec])
    pip_version = _run([str(venv_python(target)), "-m", "pip", "--version"]).stdout
    frozen = _run([str(venv_python(target)), "-m", "pip", "list", "--format", "json"], env=offline)
    in_target = frozenset(canonical(d["name"]) for d in json.loads(frozen.stdout))
    cache_dir = work / "spip-cache"
    cache_dir.mkdir()
    return Setup(
        work=work,
        spip_python=spip_python,
        target=target,
        cache_dir=cache_dir,
        spip_version=version,
        python_version=python_version,
        pip_version=pip_version.split(" from ")[0].strip(),
        pypi_url=os.environ.get("SPIP_PYPI_URL") or "https://pypi.org",
        in_target=in_target,
    )


def run_env(setup: Setup, spip_now: str | None) -> dict[str, str]:
    """The machine's environment as a CI job has it, pointed at the target venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPIP_")}
    if "SPIP_PYPI_URL" in os.environ:
        env["SPIP_PYPI_URL"] = os.environ["SPIP_PYPI_URL"]
    env["SPIP_CACHE_DIR"] = str(setup.cache_dir)
    env["VIRTUAL_ENV"] = str(setup.target)
    env["PATH"] = f"{venv_python(setup.target).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONHOME", None)
    if spip_now:
        env["SPIP_NOW"] = spip_now
    return env


def _last_lines(path: Path, count: int = 3) -> str:
    with contextlib.suppress(OSError):
        lines = [
            line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()
        ]
        errors = [line for line in lines if line.startswith("ERROR")]
        return " / ".join((errors or lines)[-count:])
    return ""


def run_project(
    setup: Setup, project: Project, *, timeout: float, simulate_hours: float | None
) -> Result:
    runs = setup.work / "runs"
    slug = f"{project.rank:05d}-{canonical(project.name)}"
    findings_path = runs / f"{slug}.json"
    spip_now = newest_version = newest_upload = None
    if simulate_hours is not None:
        try:
            newest = newest_release(fetch_project(project.name, setup.pypi_url))
        except (OSError, ValueError, urllib.error.URLError) as exc:
            newest = None
            log(f"{project.name}: no release document ({exc}); run without SPIP_NOW")
        if newest is not None:
            newest_version, upload = newest
            newest_upload = format_time(upload)
            if datetime.now(timezone.utc) - upload <= timedelta(days=SIMULATE_WITHIN_DAYS):
                spip_now = simulated_now(upload, simulate_hours)
    cmd = [setup.spip_python, "-m", "spip", "install", "--dry-run"]
    cmd += ["--findings-json", str(findings_path)]
    if canonical(project.name) in setup.in_target:  # only pip: already in the target
        cmd.append("--ignore-installed")
    cmd.append(project.name)
    start = time.perf_counter()
    with open(runs / f"{slug}.out", "w") as out, open(runs / f"{slug}.err", "w") as err:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=run_env(setup, spip_now),
            cwd=runs,
            start_new_session=True,  # its own process group: a timeout ends pip too
        )
        try:
            status: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            status = None
    seconds = time.perf_counter() - start
    document: dict[str, Any] | None = None
    with contextlib.suppress(OSError, ValueError):
        document = json.loads(findings_path.read_text(encoding="utf-8"))
    category = classify(status, document)
    reason = ""
    if status is None:
        reason = f"timed out after {timeout:g} s"
    elif category == ERROR:
        decision = (document or {}).get("decision", "no findings document")
        reason = f"exit {status}, {decision}: {_last_lines(runs / f'{slug}.err')}"
    elif category == PIP_FAILED:
        reason = _last_lines(runs / f"{slug}.err")
    return Result(
        project.rank,
        project.name,
        category,
        status,
        round(seconds, 2),
        reason,
        document,
        spip_now,
        newest_version,
        newest_upload,
    )


def run_all(
    setup: Setup,
    projects: Sequence[Project],
    *,
    jobs: int,
    timeout: float,
    simulate_hours: float | None,
) -> list[Result]:
    (setup.work / "runs").mkdir(exist_ok=True)
    done = 0
    lock = threading.Lock()

    def one(project: Project) -> Result:
        nonlocal done
        result = run_project(setup, project, timeout=timeout, simulate_hours=simulate_hours)
        with lock:
            done += 1
            count = done
        worst = sorted(
            {f"{f.get('severity')} {f.get('check')}" for f in result.findings}, reverse=True
        )
        log(
            f"{count}/{len(projects)} {project.name}: {result.category} "
            f"(exit {result.exit_status}, {result.seconds:.1f} s)"
            + (f" [{', '.join(worst)}]" if worst else "")
            + (f" {result.reason[:120]}" if result.reason else "")
        )
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, projects))


# -- the report ------------------------------------------------------------------------


def _cell(value: object, limit: int | None = None) -> str:
    text = " ".join(str("" if value is None else value).split())
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text.replace("|", "\\|")


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def summary_rows(results: Sequence[Result], sensitivities: Sequence[str]) -> list[dict[str, Any]]:
    """Per sensitivity: the counts of each outcome, the refusal rate and the target."""
    rows = []
    for sensitivity in sensitivities:
        counts = Counter(verdict(r, sensitivity) for r in results)
        total = len(results)
        rate = counts[REFUSED] / total if total else 0.0
        target = TARGETS.get(sensitivity)
        rows.append(
            {
                "sensitivity": sensitivity,
                "projects": total,
                "passed": counts[PASSED],
                "refused": counts[REFUSED],
                "pip_failures": counts[PIP_FAILED],
                "errors": counts[ERROR],
                "refusal_rate": rate,
                "target": target,
                "met": None if target is None else rate <= target + 1e-12,
            }
        )
    return rows


def held_back_summary(results: Sequence[Result]) -> dict[str, list[Result]]:
    """simulate-fresh: what became of each project's newest release (made to look fresh)."""
    out: dict[str, list[Result]] = {
        "reported": [],
        "planned": [],
        "unreported": [],
        "unknown": [],
        "not simulated": [],
    }
    for r in results:
        if r.newest_version is not None and r.spip_now is None:
            out["not simulated"].append(r)
            continue
        if r.newest_version is None or r.category in (ERROR, PIP_FAILED) or not r.plan:
            out["unknown"].append(r)
            continue
        names = {(canonical(str(h.get("name", ""))), str(h.get("version"))) for h in r.held_back}
        planned = r.planned_version(r.name)
        if (canonical(r.name), r.newest_version) in names:
            out["reported"].append(r)
        elif planned == r.newest_version:
            out["planned"].append(r)
        else:
            out["unreported"].append(r)
    return out


def low_key(finding: Mapping[str, Any]) -> str:
    """How a LOW finding is counted: its check (for ``unverified``, also the check it stood
    in for)."""
    check = str(finding.get("check"))
    evidence = finding.get("evidence") or {}
    inner = evidence.get("check") if isinstance(evidence, Mapping) else None
    return f"{check} ({inner})" if check == "unverified" and inner else check


def render_report(
    results: Sequence[Result],
    sensitivities: Sequence[str],
    meta: Mapping[str, Any],
) -> str:
    """The Markdown report of an evaluation."""
    simulate = meta.get("simulate_fresh")
    lines = [
        "# spip eval-ci: dry runs of real legitimate projects, stdin closed",
        "",
        f"{len(results)} projects (ranks {meta.get('ranks', '?')}"
        + (f", first {meta['limit']}" if meta.get("limit") else "")
        + f"); spip {meta.get('spip_version', '?')}, {meta.get('pip_version', '?')} in the "
        f"target, Python {meta.get('python', '?')}; {meta.get('jobs', '?')} parallel runs, "
        f"timeout {meta.get('timeout', DEFAULT_TIMEOUT):g} s, "
        f"{meta.get('seconds', 0):.0f} s in all; "
        f"JSON API {meta.get('pypi_url', '?')}."
        + (
            f" **Fresh releases simulated**: each project's newest release {simulate:g} h old "
            "(`SPIP_NOW`)."
            if simulate is not None
            else ""
        ),
        "",
        f"The real exit status is the verdict at `{DEFAULT_SENSITIVITY}` (the default); the "
        "others are computed from the findings with the gate table (a question is a No).",
        "",
        "| sensitivity | projects | passed | refused (10) | pip failures | errors "
        "| refusal rate | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in summary_rows(results, sensitivities):
        target = row["target"]
        lines.append(
            f"| `{row['sensitivity']}` | {row['projects']} | {row['passed']} | {row['refused']} "
            f"| {row['pip_failures']} | {row['errors']} "
            f"| {_pct(row['refused'], row['projects'])} "
            f"| {'-' if target is None else f'<= {target:.0%}'} "
            f"| {'-' if row['met'] is None else ('yes' if row['met'] else '**no**')} |"
        )

    refused = [r for r in results if r.category == REFUSED]
    failed = [r for r in results if r.category == PIP_FAILED]
    errors = [r for r in results if r.category == ERROR]
    lines += ["", f"## Refused at `{DEFAULT_SENSITIVITY}` (real runs): {len(refused)}", ""]
    for r in refused:
        why = sorted(
            {
                f"{f.get('package')} {f.get('severity')} {f.get('check')}"
                for f in r.findings
                if gate_action(str(f.get("severity", "LOW")), r.real_sensitivity) != "warn"
            }
        )
        lines.append(f"- {r.rank} `{r.name}`: {', '.join(why) or 'no blocking finding listed'}")
    lines += ["", f"## pip failures (pip's own exit status, not refusals): {len(failed)}", ""]
    lines += [
        f"- {r.rank} `{r.name}` (exit {r.exit_status}): {_cell(r.reason, 300)}" for r in failed
    ]
    lines += ["", f"## Errors (timeouts, spip failures): {len(errors)}", ""]
    lines += [f"- {r.rank} `{r.name}`: {_cell(r.reason, 300)}" for r in errors]
    odd = [r for r in results if mismatch(r)]
    if odd:
        lines += ["", "## Real exit status differs from the gate table on the findings", ""]
        lines += [f"- {r.rank} `{r.name}`: exit {r.exit_status}" for r in odd]

    serious = [
        (r, f)
        for r in results
        for f in r.findings
        if SEVERITIES.get(str(f.get("severity", "")).upper(), 0) >= SEVERITIES["MEDIUM"]
    ]
    lines += [
        "",
        f"## MEDIUM and HIGH findings: {len(serious)}",
        "",
        "| project | package | version | check | severity | message |",
        "|---|---|---|---|---|---|",
    ]
    for r, f in serious:
        lines.append(
            f"| {_cell(r.name)} | {_cell(f.get('package'))} | {_cell(f.get('version'))} "
            f"| {_cell(f.get('check'))} | {_cell(f.get('severity'))} "
            f"| {_cell(f.get('message'), MESSAGE_CHARS)} |"
        )
    low = Counter(
        low_key(f) for r in results for f in r.findings if str(f.get("severity")).upper() == "LOW"
    )
    with_low = sum(
        1 for r in results if any(str(f.get("severity")).upper() == "LOW" for f in r.findings)
    )
    lines += ["", f"## LOW findings by check ({with_low} projects have one)", ""]
    lines += [
        f"- `{key}`: {count}" for key, count in sorted(low.items(), key=lambda kv: (-kv[1], kv[0]))
    ] or ["- none"]

    if simulate is not None:
        held = [(r, h) for r in results for h in r.held_back]
        lines += [
            "",
            f"## Held-back releases reported: {len(held)}",
            "",
            "| project | SPIP_NOW | held back | version | installed version | age |",
            "|---|---|---|---|---|---|",
        ]
        for r, h in held:
            installed = h.get("installed_version", h.get("installed", h.get("planned")))
            age = h.get("age", h.get("age_hours"))
            lines.append(
                f"| {_cell(r.name)} | {_cell(r.spip_now)} | {_cell(h.get('name'))} "
                f"| {_cell(h.get('version'))} | {_cell(installed)} | {_cell(age)} |"
            )
        fate = held_back_summary(results)
        lines += [
            "",
            f"The newest release of each project, made to look {simulate:g} h old:",
            "",
            f"- held back and reported: {len(fate['reported'])}",
            f"- still planned (not held back): {len(fate['planned'])}"
            + (
                ": " + ", ".join(f"`{r.name}` {r.newest_version}" for r in fate["planned"])
                if fate["planned"]
                else ""
            ),
            f"- an older version planned, no `held_back` entry (pip's own choice, e.g. "
            f"Requires-Python, or an unreported hold-back): {len(fate['unreported'])}"
            + (
                ": "
                + ", ".join(
                    f"`{r.name}` {r.planned_version(r.name)} (newest {r.newest_version})"
                    for r in fate["unreported"]
                )
                if fate["unreported"]
                else ""
            ),
            f"- no plan or no release time (pip failure, error, no JSON): {len(fate['unknown'])}",
            f"- not simulated, run at the real time (newest release over "
            f"{SIMULATE_WITHIN_DAYS} days old): {len(fate['not simulated'])}",
        ]
        expected = len(results) - len(fate["unknown"]) - len(fate["not simulated"])
        if simulate < FRESH_RELEASE_HOURS:
            met = len(fate["reported"]) == expected and expected > 0
            lines += [
                "",
                f"Target, every held-back release reported (the newest release of all {expected} "
                f"projects with a plan, {simulate:g} h < {FRESH_RELEASE_HOURS:g} h): "
                + ("yes" if met else "**no**"),
            ]
            fresh = sum(1 for r in results for f in r.findings if f.get("check") == "fresh-release")
            if not held and not fresh and fate["planned"]:
                lines += [
                    "",
                    "`SPIP_NOW` seems to have had no effect: no release was held back and none "
                    "was reported as `fresh-release` (does this spip read `SPIP_NOW`?).",
                ]
    return "\n".join(lines) + "\n"


def result_json(result: Result, sensitivities: Sequence[str]) -> dict[str, Any]:
    data = asdict(result)
    data["verdicts"] = {s: verdict(result, s) for s in sensitivities}
    return data


# -- main ------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m evaluations.eval_ci",
        description="Dry-run real legitimate projects through spip (stdin closed) and report "
        "the refusal rate at each sensitivity and every MEDIUM/HIGH finding.",
    )
    parser.add_argument(
        "--sensitivity",
        default=",".join(SENSITIVITIES),
        help="comma-separated sensitivities to report (default: low,medium,high)",
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N projects")
    parser.add_argument("--ranks", default=DEFAULT_RANKS, help=f"(default {DEFAULT_RANKS})")
    parser.add_argument("--jobs", type=int, default=2, help="parallel runs (default 2)")
    parser.add_argument(
        "--simulate-fresh",
        type=float,
        default=None,
        metavar="HOURS",
        help="SPIP_NOW = upload time of each project's newest release + HOURS",
    )
    parser.add_argument("--json", type=Path, default=None, help="write every result here")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the report here")
    parser.add_argument(
        "--python",
        default=None,
        help="the Python (or venv) spip runs in (default: a fresh venv with spip installed "
        "from this checkout)",
    )
    parser.add_argument("--pip", default=None, metavar="SPEC", help="e.g. pip==26.2.1")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per run, s")
    parser.add_argument("--projects", type=Path, default=PROJECTS_FILE, help="the list file")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    args.sensitivities = [s.strip() for s in args.sensitivity.split(",") if s.strip()]
    bad = [s for s in args.sensitivities if s not in SENSITIVITIES]
    if bad or not args.sensitivities:
        parser.error(f"--sensitivity: choose among {', '.join(SENSITIVITIES)}")
    try:
        args.ranges = parse_ranks(args.ranks)
    except ValueError as exc:
        parser.error(f"--ranks: {exc}")
    return args


@contextlib.contextmanager
def work_dir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="spip-eval-ci-"))
    try:
        yield path
    finally:
        if keep:
            log(f"work folder kept: {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    projects = load_projects(args.projects.read_text(encoding="utf-8").splitlines(), args.ranges)
    if args.limit is not None:
        projects = projects[: args.limit]
    if not projects:
        raise SystemExit("eval-ci: no project in those ranks")
    with work_dir(args.keep) as work:
        setup = prepare(work, args.python, args.pip)
        log(
            f"spip {setup.spip_version}, {setup.pip_version} in the target; "
            f"{len(projects)} projects, {args.jobs} at a time"
        )
        start = time.perf_counter()
        results = run_all(
            setup,
            projects,
            jobs=args.jobs,
            timeout=args.timeout,
            simulate_hours=args.simulate_fresh,
        )
        meta = {
            "ranks": args.ranks,
            "limit": args.limit,
            "spip_version": setup.spip_version,
            "pip_version": setup.pip_version,
            "python": setup.python_version,
            "jobs": args.jobs,
            "timeout": args.timeout,
            "seconds": time.perf_counter() - start,
            "pypi_url": setup.pypi_url,
            "simulate_fresh": args.simulate_fresh,
        }
    report = render_report(results, args.sensitivities, meta)
    sys.stdout.write(report)
    if args.markdown:
        args.markdown.write_text(report, encoding="utf-8")
    if args.json:
        document = {
            "meta": meta,
            "summary": summary_rows(results, args.sensitivities),
            "results": [result_json(r, args.sensitivities) for r in results],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
