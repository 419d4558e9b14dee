# Two entry points a partner needs: `make run` and `make test`. Both install what is missing first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
SCENARIO ?= fixtures/scenarios/default.yaml
# A SQLite file, or a PostgreSQL URL (postgresql://user:password@host:5432/name).
DB ?= .sandbox/sandbox.db

.PHONY: install run test test-slow mutants fuzz soak bench lint clean browser postgres nginx

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	@case "$(DB)" in *://*) ;; *) mkdir -p "$(dir $(DB))" ;; esac
	$(BIN)/toluna-sandbox serve --host $(HOST) --port $(PORT) --scenario $(SCENARIO) --db $(DB)

# Conformance runs mostly wait on the partner and the network, so more workers than cores keep both cores busy.
TEST_WORKERS ?= 6

test: install browser postgres nginx
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal -q

# The long lane: soak runs through a flaky network (20 runs).
test-slow: install postgres nginx
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal -q -m slow

# The whole kill matrix: every mutant and correct variant of the reference partner, and the Flask partner.
mutants: install
	$(BIN)/python -m tests.conformance.kill_matrix -j $(TEST_WORKERS)

# The long fuzz run: schemathesis over every operation of /openapi.json, on a fresh real server (make test runs a slice).
FUZZ_CASES ?= 4000
fuzz: install
	$(BIN)/python -m tests.fuzz --cases $(FUZZ_CASES) $(FUZZ_ARGS)

# Ten minutes of partner traffic, notifications, timeline events, faults and reloads: memory, database size and rows
# must stay flat, and no pending notification may be lost.
soak: install
	$(BIN)/python -m bench.soak --minutes 10 $(SOAK_ARGS)

# The page tests drive Debian's chromium through Playwright (never a downloaded browser).
browser:
	@command -v chromium >/dev/null || apt-get install -y -qq chromium >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1) || \
		echo "chromium is not installable here: the page tests will say so"

# The store tests and the multi-process tests start their own PostgreSQL from Debian's packages (never a mock).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt-get install -y -qq postgresql >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq postgresql >/dev/null 2>&1) || \
		echo "postgresql is not installable here: the PostgreSQL tests fail in CI and are skipped elsewhere"

# nginx: the deployment test puts it in front of two sandboxes; the benchmarks serve GetQuotas's bytes with it.
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || apt-get install -y -qq nginx-light >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq nginx-light >/dev/null 2>&1) || \
		echo "nginx is not installable here: the deployment test fails in CI and is skipped elsewhere"

bench: install postgres nginx
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		(apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1) || \
		echo "wrk not installable here: the benchmarks fall back to a Python load generator"
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .sandbox .pytest_cache .ruff_cache .hypothesis
