#!/usr/bin/env bash
# Prints one closing line over one or more XCTest logs: "tests: N passed, M failed, K skipped"
# (each log's figures added up, with a line per log before it). Exits non-zero when any log shows
# a failure or has no summary (a run that crashed or ran no test).
set -uo pipefail
total_passed=0; total_failed=0; total_skipped=0; status=0
for log in "$@"; do
  summary=$(grep -a -E "^Test Suite '(All tests|Selected tests)' (passed|failed)" -A1 "$log" | grep -a -E "Executed [0-9]+ tests?" | tail -1 || true)
  # scripts/test-cpus.sh runs several selections; it writes its own totals as "cpus: N passed, M failed".
  own=$(grep -a -E "^cpus: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1 || true)
  if [ -n "$own" ]; then
    passed=$(sed -E 's/^cpus: ([0-9]+) passed.*/\1/' <<<"$own"); failures=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$own"); skipped=0
  elif [ -n "$summary" ]; then
    # e.g. "Executed 21 tests, with 2 tests skipped and 1 failure (0 unexpected) in …"
    executed=$(grep -oE 'Executed [0-9]+' <<<"$summary" | grep -oE '[0-9]+')
    failures=$(grep -oE '[0-9]+ failures?' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
    skipped=$(grep -oE '[0-9]+ tests? skipped' <<<"$summary" | grep -oE '^[0-9]+' || echo 0)
    passed=$((executed - failures - skipped))
    [ "$executed" -gt 0 ] || status=1
  else
    echo "$log: no test summary found (the run crashed or ran no test)"
    status=1; failures=1; passed=0; skipped=0
  fi
  [ "$failures" -eq 0 ] || status=1
  echo "$log: $passed passed, $failures failed, $skipped skipped"
  total_passed=$((total_passed + passed)); total_failed=$((total_failed + failures)); total_skipped=$((total_skipped + skipped))
done
echo "tests: $total_passed passed, $total_failed failed, $total_skipped skipped"
exit $status
