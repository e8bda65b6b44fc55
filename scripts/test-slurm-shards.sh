#!/usr/bin/env bash
# Sharded trim + extract on a real single-node Slurm (slurm-wlm + munge, started here as root
# without systemd), checked byte for byte against one unsharded run:
#   1. an unsharded trim + extract of 8 real MS-ASL clips (6 videos) — the reference;
#   2. `sbatch --array=0-3`: each task runs `trim --shard auto` then `extract --shard auto`;
#      shard 2 is cancelled (scancel) in the middle of its extract;
#   3. `merge` must refuse, naming shard 2; `sbatch --array=2` resubmits it with --resume;
#   4. `merge` of both stages, then the merged manifests, landmark arrays, masks, the extract
#      log and the clips must equal the reference's bytes.
# usage: scripts/test-slurm-shards.sh ASLSH_BINARY SHARED_DIR
# Prints "check: …" per assertion and ends with "slurm shards: ok"; exits non-zero on any failure.
# The daemons and the work folder are removed on every exit path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ASLSH=$(realpath "$1")
SHARED=$(realpath "$2")
VIDEOS=$SHARED/realdata/msasl_videos
for tool in slurmctld slurmd munged sbatch squeue scancel; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed (scripts/setup.sh installs slurm-wlm and munge)"; exit 1; }
done

W=$(mktemp -d /tmp/aslsh-slurm-XXXXXX)
# shellcheck source=slurm-local.sh
source "$here/slurm-local.sh"
cleanup() {
  if [ -n "${SLURM_LOCAL_DIR:-}" ]; then scancel --quiet --user=root 2>/dev/null || true; fi
  slurm_local_stop
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAILED: $*"; for f in "$W"/logs/*; do [ -f "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done; exit 1; }

# 8 clips of 6 videos (HPz_C5XM4o4 has 3: they must land in one shard), from labels.csv.
/usr/bin/python3 - "$VIDEOS/labels.csv" "$W/manifest.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
keep = ["HPz_C5XM4o4", "7G6B6kaMjb4", "J7tP98oDxqE", "CYx7qm62Zwo", "C37R_Ix8-qs", "GYWm0gdybFA"]
records = [{"clip_id": f"{r['video_id']}__{r['start_time']}_{r['end_time']}", "video_id": r["video_id"],
            "url": "https://www.youtube.com/watch?v=" + r["video_id"], "label": r["text"], "label_index": int(r["label"]),
            "start_time": float(r["start_time"]), "end_time": float(r["end_time"]), "source": "msasl",
            "split": r["split"], "metadata": {}} for r in rows if r["video_id"] in keep]
assert len(records) == 8, len(records)
json.dump(records, open(sys.argv[2], "w"), indent=1)
PY
cd "$W"
FLAGS=(--model-complexity lite --frame-skip 2 --workers 1 -q)

# 1. The reference: one unsharded run.
"$ASLSH" trim manifest.json --videos "$VIDEOS" --clips data/clips --out data/manifest_trimmed.json -q >/dev/null
"$ASLSH" extract data/manifest_trimmed.json --out data/landmarks "${FLAGS[@]}" >/dev/null
mv data ref
echo "check: unsharded reference: $(ls ref/landmarks/landmarks | grep -c '\.mask\.npy$') clips extracted"

# 2. The cluster and the array job.
slurm_local_start "$W/slurm" 2 || fail "Slurm did not start"
echo "check: slurm up: $(sinfo -h -o '%P %D nodes %C cpus(A/I/O/T)')"
mkdir -p logs
cat > job.sh <<JOB
#!/usr/bin/env bash
#SBATCH --job-name=aslsh-shards
#SBATCH --cpus-per-task=1
#SBATCH --output=$W/logs/%A_%a.out
set -euo pipefail
cd "$W"
export ASLSH_SHARD_COUNT=4
"$ASLSH" trim manifest.json --videos "$VIDEOS" --clips data/clips --out data/manifest_trimmed.json --shard auto --resume -q
"$ASLSH" extract data/manifest_trimmed.json --out data/landmarks ${FLAGS[*]} --shard auto --resume
JOB
# Poll squeue rather than `sbatch --wait` (which checks every 10 s or more).
wait_job() {
  local job=$1 i
  for i in $(seq 1 600); do
    [ -z "$(squeue -h -j "$job" -o %i 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  fail "job $job did not finish in 120 s: $(squeue -j "$job")"
}
job=$(sbatch --parsable --array=0-3 job.sh) || fail "sbatch refused the array job"
echo "check: submitted array job $job (tasks 0-3)"

# Cancel task 2 once its extract has started (its state file says running).
state2=data/landmarks/landmarks_manifest.shard-2-of-4.state.json
for i in $(seq 1 1200); do
  if [ -f "$state2" ] && grep -q -E '"status" ?: ?"running"' "$state2"; then break; fi
  if [ -f "$state2" ] && grep -q -E '"status" ?: ?"done"' "$state2"; then fail "shard 2 finished before it could be cancelled"; fi
  sleep 0.05
done
grep -q -E '"status" ?: ?"running"' "$state2" 2>/dev/null || fail "shard 2's extract never started"
scancel "${job}_2"
echo "check: cancelled task ${job}_2 during its extract"
wait_job "$job"
for i in 0 1 3; do
  grep -q -E '"status" ?: ?"done"' "data/landmarks/landmarks_manifest.shard-$i-of-4.state.json" || fail "shard $i did not finish"
done

# 3. merge refuses while shard 2 is unfinished, naming it; then shard 2 is resubmitted alone.
if out=$("$ASLSH" merge data/landmarks/landmarks_manifest.json 2>&1); then fail "merge accepted a killed shard: $out"; fi
echo "$out" | grep -q "shard 2/4 has not finished" || fail "merge's refusal does not name shard 2: $out"
echo "check: merge refused: $(echo "$out" | head -1 | cut -c1-160)…"
job2=$(sbatch --parsable --array=2 job.sh) || fail "sbatch refused the resubmission"
wait_job "$job2"
grep -q -E '"status" ?: ?"done"' "$state2" || fail "resubmitted shard 2 did not finish: $(cat "$state2")"
echo "check: resubmitted task 2 as job $job2 (--resume) and it finished"

# 4. merge both stages and compare with the reference, byte for byte.
for m in data/manifest_trimmed.json data/landmarks/landmarks_manifest.json; do
  out=$("$ASLSH" merge "$m" 2>&1) || fail "merge $m: $out"
  echo "check: ${out%%$'\n'*}"
done
cmp ref/manifest_trimmed.json data/manifest_trimmed.json || fail "merged trim manifest differs"
cmp ref/landmarks/landmarks_manifest.json data/landmarks/landmarks_manifest.json || fail "merged landmark manifest differs"
cmp ref/landmarks/extract_log.txt data/landmarks/extract_log.txt || fail "merged extract log differs"
diff -r ref/landmarks/landmarks data/landmarks/landmarks || fail "landmark arrays differ"
diff -r ref/clips data/clips || fail "clips differ"
n=$(ls data/landmarks/landmarks | grep -c '\.mask\.npy$')
[ "$n" = 8 ] || fail "expected 8 extracted clips, found $n"
echo "check: merged manifests, $n landmark arrays + masks, the extract log and 8 clips are byte-identical to the unsharded run"
echo "slurm shards: ok"
