#!/usr/bin/env bash
# The built binary and test bundle on emulated CPUs (qemu-user: CPUID and the instruction set of
# that model; an instruction it lacks is SIGILL, exit 132). Heavy work is 60–100× slower emulated,
# so this runs the kernel and model-golden tests and the binary's start, not the whole suite:
#   Westmere     SSE4.2, no AVX: the portable kernels, OpenBLAS's Nehalem kernel
#   SandyBridge  AVX, no AVX2/FMA (as some EPYC guests): the AVX kernels, OpenBLAS's Sandybridge
# Ends with "cpus: N passed, M failed" (scripts/test-summary.sh adds it to the suite's figures).
set -uo pipefail
cd "$(dirname "$0")/.."
QEMU=${QEMU:-qemu-x86_64}
bin=.build/release
passed=0; failed=0
if ! command -v "$QEMU" >/dev/null; then
  echo "test-cpus: $QEMU not found (scripts/setup.sh installs Debian's qemu-user)"
  echo "cpus: 0 passed, 1 failed"; exit 1
fi

check() {   # check NAME EXPECTED-EXIT COMMAND...: one emulated run, counted
  local name=$1; shift
  local out; out=$("$@" 2>&1 | grep -av "TCG doesn't support requested feature")
  local status=${PIPESTATUS[0]}
  echo "$out" | tail -4
  if [ "$status" -eq 0 ]; then passed=$((passed + 1)); echo "test-cpus: $name: ok"
  else failed=$((failed + 1)); echo "test-cpus: $name: FAILED (exit $status)"; fi
}

# A session saved natively (this CPU's kernels and OpenBLAS's choice) must --check on the others.
saved=$(mktemp -d)
$bin/aslsh -c "synth --classes letters --per-class 8 --seed 1 --out $saved/letters; build $saved/letters/synth_manifest.json --static --prefix l_ --dataset-dir $saved/ds; net = train $saved/ds/l_train.npz --architecture mlp --epochs 3 --checkpoint-dir $saved/ck; r = eval net $saved/ds/l_test.npz; r.accuracy; :save $saved/native.aslsh" >/dev/null 2>&1 \
  || echo "test-cpus: could not record the native session"

# Images often force OpenBLAS's kernel for their host (OPENBLAS_CORETYPE=Haswell). The emulated
# runs ask for one no emulated CPU can run (AVX-512): aslsh must ignore it, say so in --version,
# and let OpenBLAS detect the CPU, never run it into SIGILL.
export OPENBLAS_CORETYPE=SkylakeX

for spec in "Westmere:portable (SSE2)" "SandyBridge:avx (256-bit)"; do
  cpu=${spec%%:*}; expect=${spec#*:}
  out=$("$QEMU" -cpu "$cpu" $bin/aslsh --version 2>/dev/null)
  if [[ "$out" == *"kernels: $expect;"* && "$out" == *"(OPENBLAS_CORETYPE=SkylakeX ignored: this CPU lacks "* ]]; then passed=$((passed + 1)); echo "test-cpus: $cpu: $(tail -1 <<<"$out")"
  else failed=$((failed + 1)); echo "test-cpus: $cpu: aslsh --version gave '$out', expected kernels: $expect and OPENBLAS_CORETYPE=SkylakeX ignored"; fi
  # Asking for a path the CPU lacks, or for an unknown one, falls back to what it runs.
  out=$(ASLSH_KERNELS=avx "$QEMU" -cpu "$cpu" $bin/aslsh --version 2>/dev/null; ASLSH_KERNELS=avx512 "$QEMU" -cpu "$cpu" $bin/aslsh --version 2>/dev/null)
  if [ "$(grep -c "kernels: $expect;" <<<"$out")" -eq 2 ]; then passed=$((passed + 1)); echo "test-cpus: $cpu: ASLSH_KERNELS=avx|avx512 fall back to $expect"
  else failed=$((failed + 1)); echo "test-cpus: $cpu: ASLSH_KERNELS fallback gave '$out'"; fi
  work=$(mktemp -d)
  check "$cpu synth → build → train → eval" "$QEMU" -cpu "$cpu" $bin/aslsh -c \
    "synth --classes letters --per-class 8 --seed 1 --out $work/letters; build $work/letters/synth_manifest.json --static --prefix l_ --dataset-dir $work/ds; net = train $work/ds/l_train.npz --architecture mlp --epochs 3 --checkpoint-dir $work/ck; r = eval net $work/ds/l_test.npz; r.accuracy"
  rm -rf "$work"
  check "$cpu --check of a session saved natively" "$QEMU" -cpu "$cpu" $bin/aslsh --check "$saved/native.aslsh"
  # Kernels against their references and across paths; the four MediaPipe models against LiteRT.
  for selection in TensorCoreTests.PackedMatrixTests TFLiteRuntimeTests.ConvolutionKernelTests TFLiteRuntimeTests.GoldenModelTests; do
    check "$cpu $selection" "$QEMU" -cpu "$cpu" $bin/aslshPackageTests.xctest "$selection"
  done
done
rm -rf "$saved"
echo "cpus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
