#!/usr/bin/env bash
# The whole suite on SQLite, then again on PostgreSQL when a server answers (required under CI).
#   scripts/run-tests.sh [pytest args]         both passes, in parallel (pytest-xdist)
#   scripts/run-tests.sh --fast [pytest args]  development: SQLite only, no browser/spark/worker/postgres
#                                               tests, stops at the first failure
# TEST_WORKERS=N sets the number of pytest-xdist workers (default: auto = one per CPU; 0 = no xdist).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_ALLOW_ASYNC_UNSAFE=true
PG_TEST_URL="${PG_TEST_URL:-postgresql://postgres@127.0.0.1:5432/test}"
if [ -n "${CI:-}" ]; then export GETPOWER_REQUIRE_ALL=1; fi

# One test module per worker (--dist loadfile): a module's shared data (tests/conftest.py) is built once.
# Each worker has its own test database (pytest-django suffixes its name: test_test_gw0, …) and its own
# live server and browser for the browser tests.
WORKERS="${TEST_WORKERS:-auto}"
PARALLEL=()
if [ "$WORKERS" != "0" ]; then PARALLEL=(-n "$WORKERS" --dist loadfile); fi

if [ "${1:-}" = "--fast" ]; then
  shift
  echo "== fast profile: SQLite, no browser/spark/worker/postgres tests, stops at the first failure =="
  exec env -u GETPOWER_DATABASE_URL -u GETPOWER_REQUIRE_ALL $BIN/python -m pytest -q ${PARALLEL[@]+"${PARALLEL[@]}"} -x \
    -m "not browser and not spark and not worker and not postgres" "$@"
fi

echo "== test suite on SQLite =="
started=$SECONDS
env -u GETPOWER_DATABASE_URL $BIN/python -m pytest -q ${PARALLEL[@]+"${PARALLEL[@]}"} "$@"
sqlite_rc=$?
echo "(SQLite pass: $((SECONDS - started)) s)"

pg_rc=0
if $BIN/python - "$PG_TEST_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {exc}")
    sys.exit(1)
PY
then
  echo "== test suite on PostgreSQL ($PG_TEST_URL) =="
  started=$SECONDS
  # the rule-engine tests (marker `engine`) never touch the operational database; they ran above
  GETPOWER_DATABASE_URL="$PG_TEST_URL" $BIN/python -m pytest -q ${PARALLEL[@]+"${PARALLEL[@]}"} -m "not engine" "$@"
  pg_rc=$?
  echo "(PostgreSQL pass: $((SECONDS - started)) s)"
elif [ -n "${GETPOWER_REQUIRE_ALL:-}" ]; then
  echo "FAILED: PostgreSQL is required (CI / GETPOWER_REQUIRE_ALL) but not reachable"
  pg_rc=1
else
  echo "SKIPPED: PostgreSQL pass (no server at $PG_TEST_URL)"
fi
[ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
