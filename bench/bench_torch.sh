#!/usr/bin/env bash
# bench_torch.sh [BUILD_DIR] [FRAMES...] - throughput and memory of the
# torchmpo segmenter (issue 10) on synthetic measurements (dcnumc synth,
# 80x250), with dcnum's test model unet-dcnum-test_g1_910c2 from
# ../shared/data/torch.
#
# Baseline, measured in the same session: the same model through the same
# libtorch, one image per forward call (DCNUMC_TORCH_BATCH=1), one worker
# whose intra-op threads use every core - the way dcnum's torchmpo feeds
# its model.  Against it: one image per call with 2 workers (one intra-op
# thread each), the default batch (2 frames) with 1 and 2 workers and with
# worker processes, and a large batch (16) that shows why the default is
# small.  Two sizes show
# whether peak memory is flat in the number of frames.  Prints frames/s,
# peak RSS and the ratio of each run to the baseline.  Reports; never
# fails.
set -u
BUILD=${1:-build}
B=$BUILD/src/cli/dcnumc
shift || true
SIZES=${*:-1000 4000}
HERE=$(cd "$(dirname "$0")" && pwd)
ZIP=$HERE/../../shared/data/torch/segm-torch-model_unet-dcnum-test_g1_910c2.zip
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

[ -f "$ZIP" ] || { echo "bench_torch: test model $ZIP missing"; exit 0; }
(cd "$T" && cmake -E tar xf "$ZIP") || { echo "unzip failed"; exit 0; }
MODEL=$T/unet-dcnum-test_g1_910c2.dcnm

run() { # run <input> <label> <batch> <workers> [options...]
  local in=$1 label=$2 batch=$3 workers=$4 out fps secs rss
  shift 4
  rm -f "$T/out.rtdc"
  out=$( { DCNUMC_TORCH_BATCH=$batch /usr/bin/time -f "RSS %M" "$B" run \
           "$in" -o "$T/out.rtdc" --segmenter torchmpo \
           --segmenter-kw "model_file=$MODEL" --num-workers "$workers" \
           --json --force "$@"; } 2>&1 )
  fps=$(sed -nE 's/.*"frames_per_second": ([0-9.]+).*/\1/p' <<<"$out")
  secs=$(sed -nE 's/.*"seconds": ([0-9.]+).*/\1/p' <<<"$out")
  rss=$(sed -nE 's/^RSS ([0-9]+)/\1/p' <<<"$out")
  if [ -z "$fps" ] || [ -z "$rss" ]; then
    echo "$label: run failed: $(tail -n 3 <<<"$out")"
    echo 0 > "$T/last_fps"
    return
  fi
  printf "%-34s %8.1f %9.0f %8.1f" "$label" "$fps" "$((rss / 1024))" "$secs"
  if [ -s "$T/base_fps" ]; then
    printf " %7.2fx" "$(echo "$fps / $(cat "$T/base_fps")" | bc -l)"
  fi
  echo
  echo "$fps" > "$T/last_fps"
}

echo "dcnumc torchmpo benchmark on $(nproc) CPUs, $(date -u +%F)"
for n in $SIZES; do
  in="$T/synth-$n.rtdc"
  "$B" synth -n "$n" "$in" >/dev/null || { echo "synth failed"; exit 0; }
  rm -f "$T/base_fps"
  echo
  echo "== $n synthetic frames (80x250)"
  printf "%-34s %8s %9s %8s %8s\n" run frames/s "RSS MiB" seconds ratio
  run "$in" "baseline: 1 image/call, 1 worker" 1 1
  cp "$T/last_fps" "$T/base_fps"
  run "$in" "1 image/call, 2 workers" 1 2
  run "$in" "batch 2 (default), 1 worker" 2 1
  run "$in" "batch 2 (default), 2 workers" 2 2
  run "$in" "batch 2, 2 worker processes" 2 2 --workers processes
  run "$in" "batch 16, 2 workers" 16 2
  rm -f "$in"
done
