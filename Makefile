# Every developer command, in one place. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# mypy cannot follow setuptools' package-dir mapping, so it reads a tree of links instead.
TYPECHECK_ROOT := build/typecheck
# pytest worker processes (pytest-xdist); 1 runs the tests one after the other.
TEST_WORKERS ?= 2

.PHONY: help system-packages install serve test test-sqlite lint typecheck pytest bench bench-compare bench-export bench-instances bench-reads bench-weak bench-messages bench-compression test-cuts clean web web-check web-weight fuzz crash

help:
	@echo "make serve          install and run the service on ./palabre.sqlite3"
	@echo "make test           install everything, then lint, typecheck and run every test"
	@echo "make system-packages install the Debian packages the tests need, when missing"
	@echo "make test-sqlite    the tests on SQLite only (no PostgreSQL needed)"
	@echo "make lint           ruff check and ruff format --check"
	@echo "make typecheck      mypy --strict on the code and the tests"
	@echo "make web            build the web client (client/web) into server/static"
	@echo "make web-check      rebuild the web client elsewhere; fail if server/static is stale"
	@echo "make web-weight     the page's first-load weight, compressed (budget: 400 KB)"
	@echo "make bench          the live benchmark: Python clients, then stock clients in Node next to @y/websocket-server"
	@echo "make bench-compare  the same, with pycrdt-websocket beside the Python clients' run"
	@echo "make bench-export   export a 250,000-character document in every format (median s)"
	@echo "make fuzz           a million hostile websocket frames against a real server"
	@echo "make crash          20 SIGKILLs while 50 clients type; nothing acknowledged lost"
	@echo "make bench-instances  fan-out on two instances sharing PostgreSQL, beside one instance"
	@echo "make bench-reads    history, diffs and authorship of a 266,889-character document (median ms)"
	@echo "make bench-weak     20 members on good links and 3 on lome-3g: keystroke to screen, bytes, page loads"
	@echo "make bench-messages the largest messages of a first sync and of a catch-up after an hour offline"
	@echo "make bench-compression the compression settings side by side: fan-out latency and CPU, first sync bytes"
	@echo "make test-cuts      the weak-link cuts test at full length: ten 30-second cuts (about 8 minutes)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The Debian packages the tests need (tests/debian-packages.txt), installed when missing.
system-packages:
	PYTHON=$(PYTHON) tests/install-debian-packages

install: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error
	npm ci --prefix tests/benchmarks/node --no-audit --no-fund --loglevel=error
	npm ci --prefix client/web --no-audit --no-fund --loglevel=error

serve: $(BIN)/python
	$(BIN)/pip install --quiet .
	$(BIN)/palabre serve

test: system-packages install lint typecheck web-check pytest

test-cuts: install
	PALABRE_TEST_BACKENDS=sqlite PALABRE_WEAK_CUTS=10 $(BIN)/pytest -s tests/test_weak_cuts.py

test-sqlite: install
	PALABRE_TEST_BACKENDS=sqlite $(BIN)/pytest -n $(TEST_WORKERS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	rm -rf $(TYPECHECK_ROOT) && mkdir -p $(TYPECHECK_ROOT)/palabre
	for package in server domain projections client; do \
	  ln -sfn ../../../$$package $(TYPECHECK_ROOT)/palabre/$$package; done
	MYPYPATH=$(TYPECHECK_ROOT) $(BIN)/mypy --cache-dir build/mypy-cache -p palabre.server -p palabre.domain \
	  -p palabre.projections -p palabre.client
	MYPYPATH=$(TYPECHECK_ROOT) $(BIN)/mypy --cache-dir build/mypy-cache tests

# Two workers (pytest-xdist): much of the suite waits on simulated links, timers and other
# processes, so two take about a third off its time on a 2-core machine; each worker starts
# its own PostgreSQL cluster.
pytest:
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=30

# The built web client ships in the package (server/static); Node is needed only to build it.
web:
	npm ci --prefix client/web --no-audit --no-fund --loglevel=error
	node client/web/build.mjs

web-check:
	rm -rf build/web-check
	node client/web/build.mjs --out build/web-check
	diff -r build/web-check server/static || { \
	  echo "server/static is stale: run 'make web' and commit it" >&2; exit 1; }

web-weight: install
	$(BIN)/python -m tests.benchmarks.web_weight

bench: install
	$(BIN)/python -m tests.benchmarks.live

bench-compare: install
	$(BIN)/python -m tests.benchmarks.live --compare

bench-export: install
	$(BIN)/python -m tests.benchmarks.export

bench-instances: install
	$(BIN)/python -m tests.benchmarks.instances

bench-reads: install
	$(BIN)/python -m tests.benchmarks.reads

bench-weak: install
	$(BIN)/python -m tests.benchmarks.weak

bench-messages: install
	$(BIN)/python -m tests.benchmarks.messages

bench-compression: install
	$(BIN)/python -m tests.benchmarks.compression

fuzz: install
	$(BIN)/python -m tests.campaigns.fuzz --frames 1000000

crash: install
	$(BIN)/python -m tests.campaigns.crash --kills 20 --clients 50

clean:
	rm -rf build $(VENV) tests/interop/node_modules tests/benchmarks/node/node_modules client/web/node_modules .mypy_cache .ruff_cache .pytest_cache
