# Two commands set everything up on a fresh machine with python3 and make: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export DAGSTER_HOME := $(CURDIR)
# The sample standard is ~50 pages: `make demo` plans it in ~10-page batches (max 20) so it shows several
# partitions and both split kinds in CPU-friendly time. `make dev` plans with the production sizes
# (~100 / max 200 pages); override them per run: `PLATFORM_BATCH_TARGET_PAGES=10 make dev`.
DEMO_ENV := PLATFORM_BATCH_TARGET_PAGES=10 PLATFORM_BATCH_MAX_PAGES=20
# Where `make dev` serves the UI; the reload sensor is pointed at the same address.
DEV_HOST ?= 127.0.0.1
DEV_PORT ?= 3000
CORPUS := .cache/corpus
SHARED := ../shared

.PHONY: install demo dev test test-fast test-ui lint corpus holdout bench pool clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) -m samples samples/out
	mkdir -p .data/verification-config  # the sample's schema, for the vocabulary check
	printf 'schemas = ["%s/samples/out/acme-wml.xsd"]\n' "$(CURDIR)" > .data/verification-config/acme-1234-wml.toml
	$(DEMO_ENV) $(PY) -m platform_assets ingest samples/out/acme-1234-wml.pdf --wait

# `dagster dev` (not `dg dev`, which its banner suggests): dagster-dg-cli is not a dependency.
dev: install
	DAGSTER_WEBSERVER_URL=http://$(DEV_HOST):$(DEV_PORT) \
	  $(VENV)/bin/dagster dev -w workspace.yaml -h $(DEV_HOST) -p $(DEV_PORT)

# Real PDFs for planner tests and benchmarks (needs ../shared and the apt/pip registries; skipped otherwise),
# then our own extra documents per clause-tree failure class (tests/corpus/EXTRA.md; Debian packages),
# fetched again when the catalogue in fetch_more_pdfs.sh is newer than the fetched manifest.
corpus:
	@if [ -f $(CORPUS)/MANIFEST.tsv ]; then echo "corpus: $(CORPUS) ready"; \
	elif [ -x $(SHARED)/corpus/fetch_real_pdfs.sh ]; then \
	  bash $(SHARED)/corpus/fetch_real_pdfs.sh $(CORPUS) || echo "corpus: fetch failed, those tests will skip"; \
	else echo "corpus: $(SHARED)/corpus absent, those tests will skip"; fi
	@if [ -f $(CORPUS)/MANIFEST-extra.tsv ] && [ $(CORPUS)/MANIFEST-extra.tsv -nt tests/corpus/fetch_more_pdfs.sh ]; \
	then echo "corpus: extra documents ready"; \
	else bash tests/corpus/fetch_more_pdfs.sh $(CORPUS) \
	  || echo "corpus: extra documents not fetched, their tests will skip"; fi

# The hold-out documents (never looked at while developing): `make holdout`, then
# `.venv/bin/python benchmarks/bench_clause_tree_real.py .cache/holdout`.
holdout: install
	CORPUS_SKIP_DEV=1 bash tests/corpus/fetch_more_pdfs.sh - .cache/holdout

# Two pytest-xdist workers, one test file each at a time (module fixtures are built once), the files with
# most tests first, then the live tests (tests/conftest.py); the 20 slowest tests are listed at the end,
# to watch CI's time (it must stay well inside 30 minutes).
test: install corpus
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -q -n 2 --dist loadfile --durations=20

# Unit tests only (tests/unit): no servers, MinerU, Dagster daemon or worker processes, under a minute;
# `make test` also runs tests/integration and tests/live.
test-fast: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q tests/unit

# The browser test alone (also part of `make test`): needs Debian's Chromium (`apt-get install chromium`);
# screenshots land in .cache/ui-screenshots/ (or UI_SCREENSHOTS).
test-ui: install corpus
	$(VENV)/bin/pytest -q tests/live/test_ui_cockpit.py

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# Each benchmark prints its figures and goal; a missed goal (exit 1) does not stop the others.
bench: install corpus
	-$(PY) benchmarks/bench_planner.py
	-$(PY) benchmarks/bench_segment.py
	-$(PY) benchmarks/bench_clause_tree.py
	-$(PY) benchmarks/bench_clause_tree_real.py
	-$(PY) benchmarks/bench_references.py tests/fixtures/references/sample.jsonl tests/fixtures/references/sample-texinfo.jsonl
	-$(PY) benchmarks/bench_vocabulary.py
	-$(PY) benchmarks/bench_source_check.py
	-$(PY) benchmarks/bench_verification.py
	-$(PY) benchmarks/bench_step_startup.py
	-$(PY) benchmarks/bench_runpod_makespan.py
	-$(DEMO_ENV) $(PY) benchmarks/bench_local_parse.py
	-$(PY) benchmarks/bench_vector_pages.py
	-$(PY) benchmarks/bench_end_to_end.py
	-$(PY) benchmarks/bench_data_store.py

pool: install
	$(VENV)/bin/dagster instance concurrency set runpod_gpu $(N)

clean:
	rm -rf .data .dagster samples/out
