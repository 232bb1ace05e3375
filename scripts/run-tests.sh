#!/usr/bin/env bash
# The whole suite on SQLite, then again on PostgreSQL when a server answers (required under CI).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_ALLOW_ASYNC_UNSAFE=true
PG_TEST_URL="${PG_TEST_URL:-postgresql://postgres@127.0.0.1:5432/test}"
if [ -n "${CI:-}" ]; then export GETPOWER_REQUIRE_ALL=1; fi

echo "== test suite on SQLite =="
env -u GETPOWER_DATABASE_URL $BIN/python -m pytest -q "$@"
sqlite_rc=$?

pg_rc=0
if $BIN/python - "$PG_TEST_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgresql://", "postgresql://", 1), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {exc}")
    sys.exit(1)
PY
then
  echo "== test suite on PostgreSQL ($PG_TEST_URL) =="
  # the rule-engine tests never touch the operational database; they ran above
  GETPOWER_DATABASE_URL="$PG_TEST_URL" $BIN/python -m pytest -q -m "not engine" "$@"
  pg_rc=$?
elif [ -n "${GETPOWER_REQUIRE_ALL:-}" ]; then
  echo "FAILED: PostgreSQL is required (CI / GETPOWER_REQUIRE_ALL) but not reachable"
  pg_rc=1
else
  echo "SKIPPED: PostgreSQL pass (no server at $PG_TEST_URL)"
fi
[ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
