# getpower — two commands do everything on a fresh machine:
#   make demo   set up, fill an SQLite database with synthetic Yunnan data, serve on 127.0.0.1:8000
#   make test   set up (Python packages, Chromium, CJK fonts, Java for Spark) and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# CI=1 (or GETPOWER_REQUIRE_ALL=1): PostgreSQL and the browser tests are required, never skipped.
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: setup system-deps demo test test-fast test-sqlite test-postgres lint bench clean

$(BIN)/getpower: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $(BIN)/getpower

setup: $(BIN)/getpower

# Debian packages for the browser tests and Spark; installed only when missing (needs root or sudo).
system-deps:
	@bash scripts/system-deps.sh

demo: setup
	$(BIN)/getpower demo --port $(PORT)

lint: setup
	$(BIN)/ruff check src tests $(wildcard bench)

test: setup system-deps lint
	bash scripts/run-tests.sh

# while developing: SQLite only, no browser/spark/worker/postgres tests, in parallel, stops at the first failure
test-fast: setup lint
	bash scripts/run-tests.sh --fast

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var build *.egg-info
