#!/usr/bin/env bash
# bench_pipeline.sh [BUILD_DIR] [FRAMES...] - throughput and memory of the
# whole pipeline on synthetic measurements (dcnumc synth, 80x250).
#
# For each size: the default job (drain, zstd-5) with 1 and 2 workers,
# the same job with --compression none, whose difference is the cost of
# compressing the output, and with --basin-strategy tap, which links the
# input's images instead of storing one per event.  After the default
# 2-worker run, bench_encode measures the drain layout's compression
# ceiling (encoding alone, every core busy).  Prints frames/s, events/s,
# peak RSS, and ratios against the 1-worker run of the same session and against dcnum's
# ~350 frames/s on two cores (numbers of the project brief, not measured
# here: dcnum does not run on this machine).  Reports; never fails.
set -u
B=${1:-build}/src/cli/dcnumc
E=${1:-build}/bench/bench_encode
shift || true
SIZES=${*:-10000 100000}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DCNUM_FPS=350

run() { # run <input> <label> <workers> [options...]
  local in=$1 label=$2 workers=$3 out
  shift 3
  rm -f "$T/out.rtdc"
  out=$( { /usr/bin/time -f "RSS %M" "$B" run "$in" -o "$T/out.rtdc" \
           --num-workers "$workers" --json --force "$@"; } 2>&1 )
  local fps events secs rss
  fps=$(sed -nE 's/.*"frames_per_second": ([0-9.]+).*/\1/p' <<<"$out")
  events=$(sed -nE 's/.*"events": ([0-9]+).*/\1/p' <<<"$out")
  secs=$(sed -nE 's/.*"seconds": ([0-9.]+).*/\1/p' <<<"$out")
  rss=$(sed -nE 's/^RSS ([0-9]+)/\1/p' <<<"$out")
  printf "%-28s %8.0f %10.0f %9.0f %8.1f\n" "$label" "$fps" \
    "$(echo "$events / $secs" | bc -l)" "$((rss / 1024))" "$secs"
  echo "$fps" > "$T/last_fps"
  echo "$events" > "$T/last_events"
}

# ceiling <frames>: the drain layout stores one image and one mask per
# event, encoded at zstd-5.  bench_encode times that encoding alone on one
# core (on the output just written); with every core encoding and nothing
# else running, a drain run could not exceed nproc * events/s * frames /
# events.  Prints that bound and how close the run came to it.
ceiling() {
  local frames=$1 events eps bound
  events=$(cat "$T/last_events")
  eps=$("$E" "$T/out.rtdc" 5 | tee /dev/stderr |
        sed -nE 's/^events_per_second_per_core: ([0-9]+)/\1/p')
  [ -n "$eps" ] && [ "$events" -gt 0 ] || { echo "ceiling: not measured"; return; }
  bound=$(echo "$(nproc) * $eps * $frames / $events" | bc -l)
  printf "zstd-5 encoding ceiling of drain on %d CPUs: %.0f frames/s; default (2 workers) reached %.0f%% of it\n" \
    "$(nproc)" "$bound" "$(echo "100 * $(cat "$T/last_fps") / $bound" | bc -l)"
}

echo "dcnumc pipeline benchmark on $(nproc) CPUs, $(date -u +%F)"
for n in $SIZES; do
  in="$T/synth-$n.rtdc"
  "$B" synth -n "$n" "$in" >/dev/null || { echo "synth failed"; exit 0; }
  echo
  echo "== $n synthetic frames (80x250)"
  printf "%-28s %8s %10s %9s %8s\n" run frames/s events/s "RSS MiB" seconds
  run "$in" "default, 1 worker" 1
  f1=$(cat "$T/last_fps")
  run "$in" "default, 2 workers" 2
  f2=$(cat "$T/last_fps")
  ceiling "$n" 2>&1 | sed 's/^/  /'

  run "$in" "default, 2 worker processes" 2 --workers processes
  run "$in" "compression none, 2 workers" 2 --compression none
  fn=$(cat "$T/last_fps")
  run "$in" "basin strategy tap, 2 workers" 2 --basin-strategy tap
  printf "ratios: 2 workers / 1 worker = %.2f; default / uncompressed = %.2f;"\
" default (2 workers) / dcnum's %d frames/s = %.1fx\n" \
    "$(echo "$f2 / $f1" | bc -l)" "$(echo "$f2 / $fn" | bc -l)" \
    "$DCNUM_FPS" "$(echo "$f2 / $DCNUM_FPS" | bc -l)"
  rm -f "$in"
done
