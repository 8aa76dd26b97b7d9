"""``typosquat``: a name made to be mistaken for a popular project's.

The detector compares a name with the popular-names list (``spip.checks.hotlist``) through
indexes (prebuilt for the shipped list: :mod:`spip.checks.typosquat_index`), so a name
costs some tens of microseconds: the names without separators, with their words reordered, with
look-alike characters folded, with their letters sorted, with a common affix removed;
one-edit neighbours through a deletion index (short names) or two half-name keys;
two-edit neighbours of long names through buckets of length and first letters.

MEDIUM is what a typo or a squatter makes of a popular name: swapped neighbouring
letters, a look-alike character, a neighbouring key, a doubled, dropped or added
letter inside a word, separator and word-order games. The more popular the name, the
looser the likeness that counts, and one edit at a word's edge counts only for the
most downloaded names, because that is how legitimate projects are named too
(``torch``/``torchx``, ``fastapi``/``fastai``, ``pyyaml``/``pyyml``). The rest (a common
affix, a plural, a version digit, two edits to a long name) is LOW. Thresholds are
set on ``hotlist/eval`` (``make eval-typosquat``).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib.resources import files
from typing import TYPE_CHECKING, Protocol

import jellyfish
import msgspec
import msgspec.structs
from packaging.utils import canonicalize_name

from spip.checks import aliases, hotlist, typosquat_index
from spip.checks.base import RELEASES, Check, DataUnavailable
from spip.core import clock
from spip.core.reqnames import requirement_name
from spip.policy.findings import Finding, Severity
from spip.ui.sanitize import neutralise

if TYPE_CHECKING:
    from spip.checks.base import CheckContext
    from spip.index.pypi import Info, ProjectFiles
    from spip.plan.report import PlannedDist
    from spip.policy.config import Config

ID = "typosquat"

# Download ranks: the most downloaded names, the top, the part of the list that counts.
VERY_TOP, TOP, LISTED = 100, 1000, 5000
MIN_LENGTH = 5  # letters (separators not counted) of a name one edit may imitate
# Adding, changing or dropping a letter of a shorter word makes other real words too.
_MEDIUM_MIN_LENGTH = {"added": 6, "substitution": 6, "dropped": 8}
LONG = 8  # letters of a name two edits may imitate
# A LOW look-alike whose project is younger than this (or has one release or no
# repository) is MEDIUM: that is what squats look like at the time they strike.
YOUNG_LOOKALIKE_DAYS = 90
_SHORT = 7  # names up to this long are indexed by their deletions, longer ones by halves

# Where an edit is in its word (an index into the rank limits below).
INSIDE, END, START = 0, 1, 2
# kind: what it is (for messages), and the rank up to which it is MEDIUM when inside
# a word, at its end, at its start (0: never).
_KINDS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "lookalike": ("a look-alike character", (LISTED, LISTED, TOP)),
    "transposition": ("two letters swapped", (LISTED, LISTED, 0)),
    "doubled": ("a letter doubled or undoubled", (TOP, TOP, 0)),
    "fat-finger": ("a neighbouring key added", (TOP, 0, 0)),
    "dropped": ("a letter dropped", (TOP, VERY_TOP, 0)),
    "keyboard": ("a neighbouring key typed", (VERY_TOP, VERY_TOP, VERY_TOP)),
    "substitution": ("one letter changed", (VERY_TOP, VERY_TOP, 0)),
    "added": ("a letter added", (VERY_TOP, 0, 0)),
    "separator": ("the same words with other separators", (VERY_TOP,) * 3),
    "word-order": ("the same words in another order", (VERY_TOP,) * 3),
    "digit": ("a version digit added, dropped or changed", (0, 0, 0)),
    "plural": ("a plural or singular form", (0, 0, 0)),
    "affix": ("a common affix added or dropped", (0, 0, 0)),
    "extension": ("letters added to a short name", (0, 0, 0)),
    "shuffled": ("the same letters shuffled", (0, 0, 0)),
    "repeated": ("a letter repeated", (0, 0, 0)),
    "two-edits": ("two letters changed", (0, 0, 0)),
    # Not a likeness: the name of the project's command or import package (``aliases``).
    "alias": ("the name of its command or import package", (0, 0, 0)),
}
KINDS = tuple(_KINDS)
# Past these ranks a likeness is too common to report at all (other kinds: LISTED).
_STRONG = ("lookalike", "transposition", "doubled")  # any rank
_LOOSE = ("substitution", "added", "digit", "affix", "two-edits")
_LOW_MAX_RANK = {"extension": VERY_TOP, **dict.fromkeys(_LOOSE, TOP)}

_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_ROW_OFFSETS = (0.0, 0.5, 0.75, 1.25)
_KEYS = {ch: (r, c + _ROW_OFFSETS[r]) for r, row in enumerate(_ROWS) for c, ch in enumerate(row)}
# Characters that look alike in a terminal or a browser's address bar.
_LOOKALIKES = {frozenset(p) for p in ("l1", "li", "1i", "o0", "uv", "gq", "s5", "e3", "a4")}
# Sequences folded to one character to compare the "skeletons" of two names.
_SKELETON = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("i", "l"))
# Affixes people add to a popular name for their own project, and squatters to theirs
# (a version or year, "install", "new" or "official" to look like the real or newer one).
_CORE = re.compile(
    r"[0-9]*(?:python3|python|py3|py|install)?(?P<core>[a-z0-9]{3,}?)"
    r"(?:python3|python|py3|py|lib|dev|sdk|utils|tools|api|new|latest|official)?[0-9]*"
)
_RUNS = re.compile(r"(.)\1{2,}")


class Lookalike(msgspec.Struct, frozen=True):
    """A name that looks like a popular one: what it imitates, how, and how surely."""

    name: str
    target: str
    rank: int  # the target's download rank; hotlist.EXTRA_RANK for ``hotlist-extra`` names
    kind: str  # one of KINDS
    severity: Severity

    @property
    def how(self) -> str:
        return _KINDS[self.kind][0]


def _squash(name: str) -> str:
    return name.replace("-", "")


def _stem(word: str) -> str:
    """``word`` without a trailing version number (``boto3``: ``boto``)."""
    return word.rstrip("0123456789") or word


def _skeleton(word: str) -> str:
    for seq, char in _SKELETON:
        word = word.replace(seq, char)
    return word


def _core(word: str) -> str:
    """``word`` without a common prefix, suffix and version (``pyjwt``: ``jwt``)."""
    match = _CORE.fullmatch(word)
    return match.group("core") if match else word


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


def _half_keys(word: str, size: int) -> tuple[str, str]:
    """Keys of a word of ``size`` (5 or more) letters: one edit leaves one of them intact.

    An edit from letter ``k`` on leaves the start intact, one before it the end from
    letter ``k + 2`` (a swap spans two letters). A word one letter longer or shorter
    than ``size`` looked up with these keys finds its neighbours of that size.
    """
    k = size // 2 - 1
    return f"{size}:{word[:k]}", f"{-size}:{word[len(word) - (size - k - 2) :]}"


def _long_key(stem: str, size: int) -> str:
    """The bucket of long stems of ``size`` letters that start like ``stem``."""
    return f"{size}:{stem[:2]}"


def _neighbours(a: str, b: str) -> bool:
    pa, pb = _KEYS.get(a), _KEYS.get(b)
    return pa is not None and pb is not None and abs(pa[0] - pb[0]) <= 1 and abs(pa[1] - pb[1]) <= 1


def _one_edit(name: str, target: str) -> tuple[str, int]:
    """The kind of the one edit that makes ``name`` of ``target``, and its index."""
    if len(name) == len(target):
        i = next(i for i, (a, b) in enumerate(zip(name, target, strict=True)) if a != b)
        if name[i + 1 : i + 2] == target[i] and target[i + 1 : i + 2] == name[i]:
            return "transposition", i
        old, new = target[i], name[i]
        if old.isdigit() and new.isdigit():
            return "digit", i
        if frozenset((old, new)) in _LOOKALIKES:
            return "lookalike", i
        return ("keyboard" if _neighbours(old, new) else "substitution"), i
    longer, shorter = (name, target) if len(name) > len(target) else (target, name)
    i = next(
        (i for i, (a, b) in enumerate(zip(shorter, longer[:-1], strict=True)) if a != b),
        len(shorter),
    )
    char, before, after = longer[i], longer[i - 1 : i], longer[i + 1 : i + 2]
    if char.isdigit():
        return "digit", i
    if char == "s" and longer[i + 1 : i + 2] in ("", "-"):
        return "plural", i
    if char in (before, after):
        return "doubled", i
    if longer is target:
        return "dropped", i
    return ("fat-finger" if _neighbours(char, before) or _neighbours(char, after) else "added"), i


def _where(text: str, i: int, span: int) -> int:
    """Where ``text[i:i+span]`` is in its word: INSIDE, at its END or START.

    A ``py`` prefix belongs to a word's start (``pyathena``/``pythena``).
    """
    start = text.rfind("-", 0, i) + 1
    end = text.find("-", i)
    end = len(text) if end < 0 else end
    if text.startswith("py", start) and end - start > 4:
        start += 2
    if i <= start:
        return START
    return END if i + span >= end else INSIDE


class Tables(Protocol):
    """The detector's indexes over popular names: tables of name lists by key.

    ``first`` tables (FIRST) keep the most popular name of a key, ``every`` tables
    (EVERY) all of them, most popular first.
    """

    def first(self, table: str, key: str) -> str | None: ...

    def every(self, table: str, key: str) -> Sequence[str]: ...


# exact: the name without separators; reordered: its words in any order; skeleton:
# look-alike characters folded; core: a common affix removed; sorted: its letters sorted.
FIRST = ("exact", "reordered", "skeleton", "core", "sorted")
# deleted: short names and their one-letter deletions; halves: the two half keys of
# long names; long: long stems by length and first letters (two-edit candidates).
EVERY = ("deleted", "halves", "long")


class NameIndex:
    """The indexes built in memory over ``ranks`` (about 0.1 s for the shipped list)."""

    def __init__(self, ranks: Mapping[str, int]) -> None:
        self._first: dict[str, dict[str, str]] = {table: {} for table in FIRST}
        self._every: dict[str, dict[str, list[str]]] = {table: {} for table in EVERY}
        for name in sorted(ranks, key=ranks.__getitem__):  # most popular first
            self._add(name, ranks[name])

    def first(self, table: str, key: str) -> str | None:
        return self._first[table].get(key)

    def every(self, table: str, key: str) -> Sequence[str]:
        return self._every[table].get(key, ())

    def entries(self) -> Iterator[tuple[str, str, Sequence[str]]]:
        """Every (table, key, names) of the indexes."""
        for table, keys in self._first.items():
            yield from ((table, key, (name,)) for key, name in keys.items())
        for table, lists in self._every.items():
            yield from ((table, key, names) for key, names in lists.items())

    def _add(self, name: str, rank: int) -> None:
        first, every = self._first, self._every
        word = _squash(name)
        first["exact"].setdefault(word, name)
        first["skeleton"].setdefault(_skeleton(word), name)
        first["core"].setdefault(_core(word), name)
        words = name.split("-")
        if 1 < len(words) <= 3:
            for order in itertools.permutations(words):
                first["reordered"].setdefault("".join(order), name)
        if len(word) >= 6:
            first["sorted"].setdefault("".join(sorted(word)), name)
        stem = _stem(word)
        for form in {word, stem}:
            if len(form) > _SHORT:
                for key in _half_keys(form, len(form)):
                    every["halves"].setdefault(key, []).append(name)
            elif len(form) >= MIN_LENGTH:
                for key in {form, *_deletions(form)}:
                    every["deleted"].setdefault(key, []).append(name)
        if len(stem) >= LONG and rank <= _LOW_MAX_RANK["two-edits"]:
            every["long"].setdefault(_long_key(stem, len(stem)), []).append(name)


class Detector:
    """Finds the popular name a name imitates, through indexes over the ranked names.

    ``tables``: prebuilt indexes over ``ranks`` (see :mod:`spip.checks.typosquat_index`);
    by default they are built in memory.
    """

    def __init__(self, ranks: Mapping[str, int], tables: Tables | None = None) -> None:
        self.ranks = ranks
        self.tables = tables if tables is not None else NameIndex(ranks)

    def lookalike(self, name: str) -> Lookalike | None:
        """The popular project ``name`` imitates, or None (always None for a popular name)."""
        name = canonicalize_name(name)
        if name in self.ranks:
            return None
        word = _squash(name)
        found = self._one_edit_matches(name, word) + self._rewritten_matches(name, word)
        if not found:
            found = self._loose_matches(name, word)
        return min(found, key=lambda m: (-m.severity, m.rank, KINDS.index(m.kind)), default=None)

    def _match(self, name: str, target: str, kind: str, where: int = INSIDE) -> list[Lookalike]:
        """The finding for one likeness, as a list: empty when too loose to report."""
        rank = self.ranks[target]
        length = len(_squash(target))
        if rank > _LOW_MAX_RANK.get(kind, rank if kind in _STRONG else LISTED) or length < 3:
            return []
        medium = rank <= _KINDS[kind][1][where] and length >= _MEDIUM_MIN_LENGTH.get(kind, 0)
        return [Lookalike(name, target, rank, kind, Severity.MEDIUM if medium else Severity.LOW)]

    def _one_edit_matches(self, name: str, word: str) -> list[Lookalike]:
        found = []
        for target, from_stem in self._near(word):
            if from_stem:
                found += self._match(name, target, "two-edits")
            else:
                found += self._classified(name, target)
        return found

    def _near(self, word: str) -> list[tuple[str, bool]]:
        """Names one edit from ``word``, and whether from their stem (``urllb``: ``urllib3``)."""
        candidates: set[str] = set()
        if len(word) <= _SHORT + 1:
            for key in (word, *_deletions(word)):
                candidates.update(self.tables.every("deleted", key))
        for size in range(max(len(word) - 1, _SHORT + 1), len(word) + 2):
            for key in _half_keys(word, size):
                candidates.update(self.tables.every("halves", key))
        near = []
        for target in candidates:
            other = _squash(target)
            if jellyfish.damerau_levenshtein_distance(word, other) == 1:
                near.append((target, False))
            elif (
                word[:2] == other[:2]
                and jellyfish.damerau_levenshtein_distance(word, _stem(other)) == 1
            ):
                near.append((target, True))
        return near

    def _classified(self, name: str, target: str) -> list[Lookalike]:
        """The finding for a name one edit from ``target`` once separators are removed."""
        if jellyfish.damerau_levenshtein_distance(name, target) == 1:
            kind, i = _one_edit(name, target)
            longer = max(name, target, key=len)
            if "-" not in (longer[i], name[i : i + 1], target[i : i + 1]):
                span = 2 if kind == "transposition" else 1
                return self._match(name, target, kind, _where(longer, i, span))
        kind, _ = _one_edit(_squash(name), _squash(target))
        return self._match(name, target, kind, START)  # separators moved too: a word's edge

    def _rewritten_matches(self, name: str, word: str) -> list[Lookalike]:
        """Names ``word`` equals once separators, word order, look-alikes or affixes go."""
        found = []
        first = self.tables.first
        for target, kind in (
            (first("exact", word), "separator"),
            (first("reordered", word), "word-order"),
            (first("skeleton", _skeleton(word)), "lookalike"),
            (first("core", _core(word)), "affix"),
            (first("exact", _core(word)), "affix"),
        ):
            if target and (kind == "separator" or _squash(target) != word):
                found += self._match(name, target, kind)
        return found

    def _loose_matches(self, name: str, word: str) -> list[Lookalike]:
        """Repeated letters, letters added to a short name, shuffled letters, two edits."""
        found = []
        for collapsed in {_RUNS.sub(r"\1", word), _RUNS.sub(r"\1\1", word)} - {word}:
            exact = self.tables.first("exact", collapsed)
            targets = [exact] if exact else []
            targets += [target for target, _ in self._near(collapsed)]
            for target in targets:
                found += self._match(name, target, "repeated")
        for short in (self.tables.first("exact", word[:-2]), self.tables.first("exact", word[2:])):
            if short and len(_squash(short)) <= MIN_LENGTH:
                found += self._match(name, short, "extension")
        shuffled = self.tables.first("sorted", "".join(sorted(word)))
        if shuffled and len(word) >= 6:
            found += self._match(name, shuffled, "shuffled")
        if len(word) >= LONG - 2:
            found += self._two_edit_matches(name, _stem(word))
        return found

    def _two_edit_matches(self, name: str, stem: str) -> list[Lookalike]:
        """Long names two edits away, their first two letters kept (a typo rarely hits both)."""
        found = []
        for size in range(len(stem) - 2, len(stem) + 3):
            for target in self.tables.every("long", _long_key(stem, size)):
                if jellyfish.damerau_levenshtein_distance(stem, _stem(_squash(target))) <= 2:
                    found += self._match(name, target, "two-edits")
        return found


@functools.cache
def detector(extra: tuple[str, ...] = ()) -> Detector:
    """The detector over the shipped list plus the user's ``hotlist-extra`` names.

    It reads the shipped list's prebuilt indexes, and indexes the extra names (a few)
    in memory, looked up first as the most popular; without a usable prebuilt index
    it builds them all (about 0.1 s).
    """
    shipped = hotlist.load()
    ranks = shipped.with_extra(extra).ranks
    packed = typosquat_index.load(shipped)
    if packed is None:
        return Detector(ranks)
    if not extra:
        return Detector(ranks, packed)
    return Detector(ranks, typosquat_index.Layered(NameIndex({n: ranks[n] for n in extra}), packed))


def lookalike(name: str, extra: Iterable[str] = ()) -> Lookalike | None:
    """The popular project ``name`` looks like, or None; ``extra``: more popular names.

    For bulk screening too: the first call that needs the indexes builds them.
    """
    extra = tuple(sorted({canonicalize_name(n) for n in extra if n.strip()}))
    normal = canonicalize_name(name)
    shipped = hotlist.load()
    if shipped.rank(normal) is not None or normal in extra:
        return None
    if normal in known_neighbours():
        return None
    found = detector(extra).lookalike(normal)
    alias = aliases.load().get(normal)
    rank = shipped.rank(alias.project) if alias else None
    if alias is None or rank is None or (found and found.severity >= Severity.MEDIUM):
        return found
    return Lookalike(normal, alias.project, rank, "alias", Severity.LOW)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _finding(
    found: Lookalike,
    version: str | None,
    required_by: list[str] | None,
    project: Sequence[str] = (),
) -> Finding:
    """``required_by``: the projects of the plan that depend on it; None if asked for;
    ``project``: what about the project behind the name makes it MEDIUM, if anything."""
    name, target = neutralise(found.name), found.target
    if found.rank == hotlist.EXTRA_RANK:
        standing = "on your hotlist-extra list"
    else:
        standing = f"the {_ordinal(found.rank)} most downloaded project"
    likeness = f"`{name}` looks like `{target}` ({standing}; {found.how})"
    if project:
        likeness += f", and {'; '.join(project)}"
    allow = f"add `{name}:{ID}` to `allow`"
    if required_by is None:
        message = (
            f"{likeness}; did you mean {target}? If not, check who publishes {name}, then {allow}."
        )
    else:
        parents = ", ".join(neutralise(p) for p in required_by) or "a package of the plan"
        message = (
            f"{likeness}, pulled in as a dependency of {parents}: "
            f"check why before installing, then {allow}."
        )
    return Finding(
        check=ID,
        severity=found.severity,
        package=found.name,
        version=version,
        message=message,
        evidence={
            "target": target,
            "rank": found.rank,
            "kind": found.kind,
            "hotlist_snapshot": hotlist.snapshot_date(),
            **({"project": list(project)} if project else {}),
        },
    )


def screen_names(names: Iterable[str], config: Config) -> list[Finding]:
    """Findings on the names the user asked for, before pip resolves anything (no network).

    ``names``: project names or requirement strings (``requests[socks]>=2``); anything
    else (paths, URLs) is skipped. ``config.allow`` is the gate's business, not this.
    """
    findings = []
    seen = set()
    for text in names:
        name = requirement_name(text)
        if name is None or name in seen:
            continue
        seen.add(name)
        found = lookalike(name, config.hotlist_extra)
        if found:
            findings.append(_finding(found, None, required_by=None))
    return findings


def _required_by(dist: PlannedDist, plan: Iterable[PlannedDist]) -> list[str]:
    return [
        other.name
        for other in plan
        if any(requirement_name(text) == dist.name for text in other.metadata.requires_dist)
    ]


# A project this old with this many releases is a project of its own, not a look-alike
# of another (real squats live days and have a release or two): its LOW likeness is
# dropped at plan stage, where the index's release history is at hand.
ESTABLISHED_DAYS = 365
ESTABLISHED_RELEASES = 10


@functools.cache
def known_neighbours() -> frozenset[str]:
    """The shipped list of real projects named close to a popular one (``httpx2``)."""
    text = files("spip").joinpath("data/typosquat-neighbours.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def established(history: ProjectFiles) -> bool:
    """The index's release history shows a project of its own: old, many releases."""
    times = [f.upload_time for f in history.files if f.upload_time is not None]
    if len(history.versions) < ESTABLISHED_RELEASES or not times:
        return False
    return (clock.now() - min(times)).days >= ESTABLISHED_DAYS


def small_project(history: ProjectFiles, info: Info) -> list[str]:
    """What makes the project behind a look-alike name a likely squat (empty: nothing):
    young (first upload within ``YOUNG_LOOKALIKE_DAYS``), or both a single release and
    no repository URL. Either of the last two alone is common among small legitimate
    projects: it lifted 0.56% of ``make eval-typosquat``'s legitimate names to MEDIUM
    (target 0.5%), both together 0.19%; real squats strike young."""
    from spip.checks.repo_mismatch import repositories

    first = history.first_upload()
    days = (clock.now() - first).days if first is not None else None
    young = days is not None and days < YOUNG_LOOKALIKE_DAYS
    single, unsourced = len(history.versions) == 1, not repositories(info)
    if not (young or (single and unsourced)):
        return []
    marks = [f"its project is {days} day{'' if days == 1 else 's'} old"] if young else []
    return marks + ["it has a single release"] * single + ["it names no repository"] * unsourced


async def _established(name: str, ctx: CheckContext) -> bool:
    try:
        return established(await ctx.pypi.files(name))
    except DataUnavailable:
        return False


async def _small_project(dist: PlannedDist, ctx: CheckContext) -> list[str]:
    try:
        return small_project(await ctx.pypi.files(dist.name), await ctx.pypi.info(dist))
    except DataUnavailable:
        return []


async def run(dist: PlannedDist, ctx: CheckContext) -> list[Finding]:
    found = lookalike(dist.name, ctx.config.hotlist_extra)
    if not found:
        return []
    if found.severity is Severity.LOW and await _established(dist.name, ctx):
        return []
    required_by = None if dist.requested else _required_by(dist, ctx.plan)
    if found.severity >= Severity.MEDIUM or dist.source != "index":
        return [_finding(found, dist.version, required_by)]
    marks = await _small_project(dist, ctx)
    if not marks:
        return [_finding(found, dist.version, required_by)]
    return [
        _finding(
            msgspec.structs.replace(found, severity=Severity.MEDIUM),
            dist.version,
            required_by,
            marks,
        )
    ]


async def unresolvable(names: Sequence[str], ctx: CheckContext) -> list[Finding]:
    """Projects only a source build can provide are screened too: no build needed."""
    return screen_names(names, ctx.config)


SUMMARY = (
    "A name that is not itself popular is one typo away from a popular one: swapped, "
    "doubled, dropped or substituted letters, look-alikes, separator games (MEDIUM; LOW "
    "for looser likeness such as an added affix)."
)

# The user's own project (a local directory) is not judged by its name.
CHECK = Check(
    ID, screen=screen_names, unresolvable=unresolvable, run=run, sources=RELEASES, summary=SUMMARY
)
