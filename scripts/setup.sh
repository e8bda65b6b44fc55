#!/usr/bin/env bash
# One-time, idempotent set-up for aslsh on Debian 12 with Swift installed:
#   1. the system -dev packages the C shim modules link against (and the tools tests use);
#   2. MediaPipe Hands' four .tflite models, taken from the mediapipe==0.10.14 wheel on PyPI
#      into models/mediapipe/ and verified by sha256 (never committed: see .gitignore).
# A second run checks and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libedit-dev libavformat-dev libavdevice-dev libavcodec-dev libswscale-dev libavutil-dev
              libopenblas-dev libpng-dev libturbojpeg0-dev pkg-config ffmpeg python3-numpy
              libfreetype-dev fonts-dejavu-core qemu-user
              slurm-wlm munge parallel   # a real single-node Slurm for the sharding test; GNU parallel for the docs recipe
              libzmq3-dev libssl-dev chromium)  # the Jupyter kernel; chromium renders notebooks in its test
# Python tools the tests talk to as outside references (interop, exports, downloads).
PIP_PACKAGES=(numpy safetensors yt-dlp onnx onnxruntime ai-edge-litert tensorboard  # ai-edge-litert imports as ai_edge_litert
              jupyter_client nbclient nbformat nbconvert)  # Jupyter's own clients drive the kernel in tests

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

pip_missing=()
for p in "${PIP_PACKAGES[@]}"; do
  python3 -c "import ${p//-/_}" 2>/dev/null || pip_missing+=("$p")  # yt-dlp imports as yt_dlp
done
if [ ${#pip_missing[@]} -gt 0 ]; then
  echo "setup: pip installing ${pip_missing[*]}"
  python3 -m pip install -q "${pip_missing[@]}"
fi

# --- MediaPipe Hands models (sha256 from MediaPipe's 0.10.14 wheel; see README "Models") ---
MODEL_DIR=models/mediapipe
declare -A SHA=(
  [palm_detection_full]=1b14e9422c6ad006cde6581a46c8b90dd573c07ab7f3934b5589e7cea3f89a54
  [palm_detection_lite]=e9a4aaddf90dda56a87235303cf00e4c2d3fb28725f68fd88772997dac905c18
  [hand_landmark_full]=11c272b891e1a99ab034208e23937a8008388cf11ed2a9d776ed3d01d0ba00e3
  [hand_landmark_lite]=048edd3645c9bf7397d19a9f6e3a42957d6e414c9bea6598030a2e9b624156e6
)
verify() { [ -f "$MODEL_DIR/$1.tflite" ] && echo "${SHA[$1]}  $MODEL_DIR/$1.tflite" | sha256sum -c --quiet - >/dev/null 2>&1; }
need=0
for m in "${!SHA[@]}"; do verify "$m" || need=1; done
if [ $need -eq 1 ]; then
  echo "setup: fetching MediaPipe Hands models from the mediapipe==0.10.14 wheel"
  mkdir -p "$MODEL_DIR"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_17_x86_64 -d "$tmp" mediapipe==0.10.14
  wheel=$(ls "$tmp"/mediapipe-0.10.14-*.whl)
  python3 - "$wheel" "$MODEL_DIR" <<'PY'
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
names = {"mediapipe/modules/palm_detection/palm_detection_full.tflite",
         "mediapipe/modules/palm_detection/palm_detection_lite.tflite",
         "mediapipe/modules/hand_landmark/hand_landmark_full.tflite",
         "mediapipe/modules/hand_landmark/hand_landmark_lite.tflite"}
with zipfile.ZipFile(wheel) as z:
    for n in names:
        data = z.read(n)
        dest = os.path.join(out, os.path.basename(n))
        with open(dest + ".part", "wb") as f:
            f.write(data)
        os.replace(dest + ".part", dest)
PY
  for m in "${!SHA[@]}"; do
    verify "$m" || { echo "setup: sha256 mismatch for $MODEL_DIR/$m.tflite" >&2; exit 1; }
  done
fi
echo "setup: ok (system packages, Python test tools, MediaPipe models in $MODEL_DIR)"
