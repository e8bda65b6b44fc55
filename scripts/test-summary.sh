#!/usr/bin/env bash
# Prints one closing line for a swift test (XCTest) log: "tests: N passed, M failed, K skipped".
# Exits non-zero when the log shows a failure or no test ran at all.
set -euo pipefail
log=$1
summary=$(grep -a -E "^Test Suite '(All tests|Selected tests)' (passed|failed)" -A1 "$log" | grep -a -E "Executed [0-9]+ tests?" | tail -1 || true)
if [ -z "$summary" ]; then
  echo "tests: 0 passed, 0 failed (no XCTest summary found in $log)"
  exit 1
fi
# e.g. "Executed 21 tests, with 2 tests skipped and 1 failure (0 unexpected) in …"
executed=$(grep -oE 'Executed [0-9]+' <<<"$summary" | grep -oE '[0-9]+')
failures=$(grep -oE '[0-9]+ failures?' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
skipped=$(grep -oE '[0-9]+ tests? skipped' <<<"$summary" | grep -oE '^[0-9]+' || echo 0)
passed=$((executed - failures - skipped))
echo "tests: $passed passed, $failures failed, $skipped skipped"
[ "$failures" -eq 0 ] && [ "$executed" -gt 0 ]
