#!/usr/bin/env bash
# Seed corpora for `make fuzz`, one folder a target under OUT (default .build/fuzz/seeds):
# the small hand-made edge cases committed in Tests/Fuzz/seeds/<target>/, plus seeds made now
# from the real data in ../shared (MS-ASL metadata, keypoint CSV, landmark .npy, photos, clips)
# and from models/ when present. Nothing from ../shared is ever written into the repository.
# Seeds are cut to about each target's -max_len, keeping the part of the format that matters.
#   bash scripts/fuzz-seeds.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-.build/fuzz/seeds}
SHARED=../shared
PY=/usr/bin/python3     # Debian's python3 has numpy (scripts/setup.sh)
rm -rf "$OUT"
mkdir -p "$OUT"
for dir in Tests/Fuzz/seeds/*/; do
  target=$(basename "$dir")
  mkdir -p "$OUT/$target"
  cp "$dir"* "$OUT/$target/"
done
have() { [ -e "$SHARED/realdata/$1" ]; }
if [ ! -d "$SHARED/realdata" ]; then
  echo "fuzz-seeds: $SHARED/realdata is absent: only the committed seeds are used" >&2
fi

# Models: the keypoint classifier (7.6 kB, a whole real TFLite file); aslsh's own exports and
# checkpoints with what the readers check first moved to the front.
if have hand_keypoints_csv/keypoint_classifier.tflite; then cp "$SHARED/realdata/hand_keypoints_csv/keypoint_classifier.tflite" "$OUT/tflite/"; fi
if compgen -G "models/exported/*.onnx" >/dev/null && python3 -c "import onnx" 2>/dev/null; then
  # ONNX fields may come in any order: metadata first, then the graph with each weight cut to
  # 64 bytes, so a 16 kB prefix still reaches every check.
  python3 - "$OUT/onnx" models/exported/*.onnx <<'EOF'
import sys, onnx, os
out = sys.argv[1]
for path in sys.argv[2:]:
    m = onnx.load(path)
    meta = onnx.ModelProto(); meta.metadata_props.extend(m.metadata_props)
    rest = onnx.ModelProto(); rest.CopyFrom(m); del rest.metadata_props[:]
    name = os.path.basename(path)
    open(f"{out}/{name}", "wb").write(meta.SerializeToString() + rest.SerializeToString())
    for t in rest.graph.initializer:
        t.raw_data = t.raw_data[:64]
    open(f"{out}/cut-{name}", "wb").write(meta.SerializeToString() + rest.SerializeToString())
EOF
fi
for f in $(ls models/checkpoints/*/*.safetensors 2>/dev/null | head -6 || true); do
  head -c 16384 "$f" > "$OUT/checkpoint/$(basename "$(dirname "$f")")-$(basename "$f")"
done

# Arrays: real landmark sequences (.npy), an .npz of them stored and deflated, safetensors.
if have hand_sequences_npy; then
  mapfile -t npys < <(find "$SHARED/realdata" -name '*.npy' -size -8k | head -8)
  for f in "${npys[@]}"; do cp "$f" "$OUT/npy/$(echo "$f" | md5sum | cut -c1-8).npy"; done
  $PY - "$OUT" $(find "$SHARED/realdata/hand_sequences_npy" -name '*.npy' | head -3) <<'EOF'
import sys, numpy as np
out, files = sys.argv[1], sys.argv[2:]
arrays = {f"frame{i}": np.load(f)[:16] for i, f in enumerate(files)}
np.savez(f"{out}/npz/real-stored.npz", **arrays)
np.savez_compressed(f"{out}/npz/real-deflated.npz", **arrays)
np.savez(f"{out}/npz/kinds.npz", f=np.arange(6, dtype=np.float32).reshape(2, 3), i=np.arange(4, dtype=np.int64),
         b=np.array([True, False]), s=np.array(["ab", "c"]), h=np.ones(3, dtype=np.float16))
np.save(f"{out}/npy/fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)))
np.save(f"{out}/npy/big-endian.npy", np.arange(4, dtype=">f4"))
np.save(f"{out}/npy/strings.npy", np.array(["hello", "no"]))
EOF
fi

# Metadata: the first MS-ASL records (real), the class list.
if have msasl_metadata/MSASL_val.json; then
  $PY - "$SHARED/realdata/msasl_metadata" "$OUT/intake" <<'EOF'
import sys, json
src, out = sys.argv[1], sys.argv[2]
records = json.load(open(f"{src}/MSASL_val.json"))
for n in (1, 3, 8):
    json.dump(records[:n], open(f"{out}/msasl-val-{n}.json", "w"))
json.dump(records[:4], open(f"{out}/msasl-val-indented.json", "w"), indent=2)
EOF
fi

# Keypoint CSV: real rows, LF and CRLF.
if have hand_keypoints_csv/keypoint.csv; then
  head -n 3 "$SHARED/realdata/hand_keypoints_csv/keypoint.csv" > "$OUT/keypoint-csv/real-3.csv"
  head -n 2 "$SHARED/realdata/hand_keypoints_csv/keypoint.csv" | sed 's/$/\r/' > "$OUT/keypoint-csv/real-crlf.csv"
fi

# Shell: the repository's sessions are real command-language input and real transcripts.
for f in sessions/*.aslsh docs/*.md; do
  [ -f "$f" ] || continue
  head -c 2048 "$f" > "$OUT/transcript/$(basename "$f")"
  grep -v '^#' "$f" | head -c 1024 > "$OUT/shell-syntax/$(basename "$f")" || true
done

# Images and video, made small with ffmpeg from the real photos and clips.
if command -v ffmpeg >/dev/null; then
  ff() { ffmpeg -v error -y "$@" </dev/null; }
  if have asl_alphabet_photos_224/test; then
    for letter in A B; do
      photos=("$SHARED/realdata/asl_alphabet_photos_224/test/$letter/"*); photo=${photos[0]}
      ff -i "$photo" -vf scale=24:24 "$OUT/jpeg/$letter-24.jpg"
      ff -i "$photo" -vf scale=16:16 -pix_fmt gray "$OUT/jpeg/$letter-gray.jpg"
      ff -i "$photo" -vf scale=20:12 "$OUT/png/$letter-rgb.png"
      ff -i "$photo" -vf scale=8:8,format=rgba "$OUT/png/$letter-rgba.png"
      ff -i "$photo" -vf scale=8:8,format=gray16be "$OUT/png/$letter-gray16.png"
    done
    first=$(find "$SHARED/realdata/asl_alphabet_photos_224/test" -name '*.jpg' -print -quit)
    if [ -n "$first" ] && [ "$(stat -c %s "$first")" -le 8192 ]; then cp "$first" "$OUT/jpeg/real-224.jpg"; fi
  fi
  if have msasl_videos; then
    clips=("$SHARED"/realdata/msasl_videos/*.mp4); clip=${clips[0]}
    ff -i "$clip" -t 0.4 -vf scale=32:24 -c:v libx264 -preset ultrafast -an -movflags +faststart "$OUT/video/h264.mp4"
    ff -i "$clip" -t 0.4 -vf scale=32:24 -c:v mpeg4 -an "$OUT/video/mpeg4.mp4"
    ff -i "$clip" -t 0.3 -vf scale=16:16 -c:v mjpeg -an "$OUT/video/mjpeg.avi"
    # Truncated copies: a cut moov, a cut mdat.
    for f in "$OUT"/video/h264.mp4; do
      size=$(stat -c %s "$f")
      head -c $((size / 2)) "$f" > "$OUT/video/h264-half.mp4"
      head -c $((size - 100)) "$f" > "$OUT/video/h264-cut-end.mp4"
    done
  fi
fi
for dir in "$OUT"/*/; do
  [ -n "$(ls -A "$dir")" ] || echo "fuzz-seeds: no seeds for $(basename "$dir")" >&2
done
echo "fuzz-seeds: $(find "$OUT" -type f | wc -l) seeds in $OUT"
