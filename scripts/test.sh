#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it, on more than the CPU at hand:
#   1. natively: this CPU's kernel path (CKernels) and the kernel OpenBLAS picks for it;
#   2. again with the portable kernels (ASLSH_KERNELS=portable) and another OpenBLAS kernel
#      (OPENBLAS_CORETYPE): what an AVX-only or an AVX-512 machine would run;
#   3. on emulated CPUs (qemu-user, scripts/test-cpus.sh): an SSE4.2-only and an AVX-only x86-64,
#      CPUID included — the binary must run there and give the same answers.
# A test that passes in one configuration and fails in another fails the run.
# Ends with one line: "tests: N passed, M failed, K skipped" over all of them.
# `scripts/test.sh native` (make test-native) runs pass 1 alone.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
# Numeric code (model goldens, training parity) is ~50x slower unoptimised: tests run in release
# with -enable-testing so @testable imports still work.
FLAGS=(-c release -Xswiftc -enable-testing)
mkdir -p .build

$SWIFT build "${FLAGS[@]}" --build-tests || { echo "tests: 0 passed, 1 failed (build failed)"; exit 1; }

# OpenBLAS's own choice on this CPU, then a different kernel it can run here for the second pass.
native_core=$(.build/release/aslsh --version | sed -n 's/.*OpenBLAS: \([^;]*\);.*/\1/p')
features=$(.build/release/aslsh --version | sed -n 's/.*CPU: //p')
if [ "$native_core" != "Sandybridge" ] && [[ " $features " == *" avx "* ]]; then
  other_core=Sandybridge
else
  other_core=Nehalem
fi
echo "test: pass 1: $(.build/release/aslsh --version | tail -1)"
$SWIFT test "${FLAGS[@]}" --skip-build --disable-swift-testing 2>&1 | tee .build/test.log
if [ "${1:-}" = native ]; then exec bash scripts/test-summary.sh .build/test.log; fi
echo "test: pass 2: ASLSH_KERNELS=portable OPENBLAS_CORETYPE=$other_core"
ASLSH_KERNELS=portable OPENBLAS_CORETYPE=$other_core \
  $SWIFT test "${FLAGS[@]}" --skip-build --disable-swift-testing 2>&1 | tee .build/test-portable.log
bash scripts/test-cpus.sh 2>&1 | tee .build/test-cpus.log

bash scripts/test-summary.sh .build/test.log .build/test-portable.log .build/test-cpus.log
