# spip's tasks. `make install` then `make test` is all a new contributor needs.
PYTHON ?= python3
PYTEST_WORKERS ?= auto

.PHONY: install test test-live bench bench-live lint format hotlist malicious aliases eval-typosquat eval-ci docs docs-serve

install:
	$(PYTHON) -m pip install -e '.[dev]'

test:
	$(PYTHON) -m pytest -n $(PYTEST_WORKERS) -m "not live" -q

test-live:
	$(PYTHON) -m pytest -m live -q -p no:cacheprovider

# spip install against pip install, side by side in fresh venvs, on the test index.
# Also refreshes the docs' benchmark table (docs/bench.md).
BENCH_ARGS ?=
bench:
	$(PYTHON) -m benchmarks.bench --markdown docs/bench.md $(BENCH_ARGS)

# The same against the real PyPI (requests; ruff; flask sqlalchemy pydantic; jupyterlab),
# with the upstream guard (secpipw) timed in the same rounds.
bench-live:
	$(PYTHON) -m benchmarks.bench --live --peer secpipw --pip 'pip==25.3' $(BENCH_ARGS)

LINTED = spip tests hotlist benchmarks evaluations docs noxfile.py
lint:
	$(PYTHON) -m ruff check $(LINTED)
	$(PYTHON) -m ruff format --check $(LINTED)
	$(PYTHON) -m mypy

format:
	$(PYTHON) -m ruff format $(LINTED)
	$(PYTHON) -m ruff check --fix $(LINTED)

# Rebuild spip/data/hotlist.txt from the published ranking (needs the network);
# offline: $(PYTHON) hotlist/refresh.py --source ../shared/data/top-pypi-packages.tsv --snapshot 2026-11
hotlist:
	$(PYTHON) hotlist/refresh.py

# Rebuild spip/data/malicious.txt from OSV's MAL- records (needs the network); from a
# checkout of github.com/ossf/malicious-packages: make malicious MALICIOUS_ARGS="--source DIR"
MALICIOUS_ARGS ?=
malicious:
	$(PYTHON) hotlist/malicious.py $(MALICIOUS_ARGS)

# Opt-in, bounded (range requests to the real index): the top projects' console scripts and
# import names for typosquat's `alias` kind, e.g. make aliases ALIASES_ARGS="--limit 1000"
ALIASES_ARGS ?=
aliases:
	$(PYTHON) hotlist/aliases.py $(ALIASES_ARGS)

eval-typosquat:
	$(PYTHON) hotlist/eval_typosquat.py

# Opt-in, real index (never part of `make test`): dry-run 500 legitimate projects with
# stdin closed; refusal rate per sensitivity and every MEDIUM/HIGH finding.
# e.g. make eval-ci EVAL_ARGS="--limit 15" or EVAL_ARGS="--simulate-fresh 6"
EVAL_ARGS ?=
eval-ci:
	$(PYTHON) -m evaluations.eval_ci $(EVAL_ARGS)

# The documentation site (needs the docs extra: pip install -e '.[docs]'): the reference
# pages are generated from the code, then Material for MkDocs builds with warnings as errors.
docs:
	$(PYTHON) docs/gen_reference.py
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs build --strict

docs-serve:
	$(PYTHON) docs/gen_reference.py
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs serve
