#!/usr/bin/env bash
# `make fuzz`: builds aslsh-fuzz with libFuzzer + AddressSanitizer, runs every reader's target
# (Sources/aslsh-fuzz/FuzzTargets.swift) from seeds (scripts/fuzz-seeds.sh) and prints a table.
# Exits non-zero on any finding: a crash, a hang (> 1 s for one input), a sanitizer report, an
# allocation past 2 GB, or an error that does not name the file. Findings are saved in
# .build/fuzz/findings/TARGET/ and replay with the normal build: aslsh-fuzz TARGET FILE.
#
#   FUZZ_TARGETS="npy png"  only these targets (default: all)
#   FUZZ_RUNS=1000000       executions per target (default 1,000,000) ...
#   FUZZ_SECONDS=900        ... or at most this long per target, whichever comes first
#   FUZZ_PARALLEL=2         targets run at once (default 1; each fuzzer is one process)
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
RUNS=${FUZZ_RUNS:-1000000}
SECONDS_CAP=${FUZZ_SECONDS:-900}
PARALLEL=${FUZZ_PARALLEL:-1}
WORK=.build/fuzz
SCRATCH=.build-fuzz-asan

echo "fuzz: building aslsh-fuzz with -sanitize=fuzzer,address (scratch $SCRATCH)"
$SWIFT build -c release --product aslsh-fuzz --scratch-path "$SCRATCH" \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING || exit 1
BIN="$SCRATCH/release/aslsh-fuzz"

declare -A MAX_LEN
while read -r name len; do MAX_LEN[$name]=$len; done < <("$BIN" --list)
TARGETS=${FUZZ_TARGETS:-$("$BIN" --list | cut -d' ' -f1 | tr '\n' ' ')}
for t in $TARGETS; do
  [ -n "${MAX_LEN[$t]:-}" ] || { echo "fuzz: unknown target '$t' (known: ${!MAX_LEN[*]})" >&2; exit 2; }
done

bash scripts/fuzz-seeds.sh "$WORK/seeds" || exit 1
mkdir -p "$WORK/corpus" "$WORK/findings" "$WORK/logs"

# One target: libFuzzer in its own process under `timeout` (a sanitizer report can leave the
# symboliser running for minutes: symbolize=0, the stack is still printed as addresses).
run_target() {
  local t=$1 max_len=$2 corpus="$WORK/corpus/$1" findings="$WORK/findings/$1"
  mkdir -p "$corpus" "$findings"
  rm -f "$findings"/*
  local start=$SECONDS
  ASAN_OPTIONS=symbolize=0:detect_leaks=0:allocator_may_return_null=0 \
  timeout --kill-after=30 $((SECONDS_CAP + 120)) "$BIN" "$t" \
    -runs="$RUNS" -max_total_time="$SECONDS_CAP" -timeout=1 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -max_len="$max_len" -artifact_prefix="$findings/" -print_final_stats=1 -close_fd_mask=1 \
    "$corpus" "$WORK/seeds/$t" > "$WORK/logs/$t.log" 2>&1
  local status=$?
  echo "$t $status $((SECONDS - start))" > "$WORK/logs/$t.status"
  echo "fuzz: $t done (exit $status, $((SECONDS - start)) s)"
}
export -f run_target
export BIN WORK RUNS SECONDS_CAP
for t in $TARGETS; do echo "$t ${MAX_LEN[$t]}"; done | xargs -P "$PARALLEL" -n 2 bash -c 'run_target "$0" "$1"'

stat_of() { grep -o "^stat::$2: *[0-9]*" "$WORK/logs/$1.log" | tail -1 | awk '{print $2}'; }
failed=0
printf '\n%-18s %12s %9s %9s %8s %8s %8s\n' target executions exec/s findings corpus peak_MB seconds
for t in $TARGETS; do
  read -r _ status secs < "$WORK/logs/$t.status"
  execs=$(stat_of "$t" number_of_executed_units); rate=$(stat_of "$t" average_exec_per_sec)
  rss=$(stat_of "$t" peak_rss_mb)
  findings=$(find "$WORK/findings/$t" -type f | wc -l)
  # A non-zero exit with no artifact (e.g. killed by timeout) is a finding too.
  if [ "$status" -ne 0 ] && [ "$findings" -eq 0 ]; then findings=1; fi
  corpus=$(find "$WORK/corpus/$t" -type f | wc -l)
  printf '%-18s %12s %9s %9s %8s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "$findings" "$corpus" "${rss:-?}" "$secs"
  if [ "$findings" -gt 0 ]; then
    failed=1
    ls "$WORK/findings/$t" | sed "s|^|    $WORK/findings/$t/|"
    grep -m1 -E "ERROR: (AddressSanitizer|libFuzzer)|Fatal error|deadly signal" "$WORK/logs/$t.log" | sed 's/^/    /'
  fi
done
[ "$failed" -eq 0 ] && echo "fuzz: no findings" || echo "fuzz: FINDINGS (logs in $WORK/logs)"
exit "$failed"
