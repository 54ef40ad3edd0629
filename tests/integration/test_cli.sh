#!/usr/bin/env bash
# test_cli.sh DCNUMC DATA_DIR - the dcnumc command end to end: exit codes,
# one clear message on bad input, no output or temporary file left behind,
# skip/--force, --dry-run, Ctrl-C and a dying worker process.
set -u
B=$1
D=$2/inputs
# shellcheck source=../lib/check.sh
. "$(cd "$(dirname "$0")/../lib" && pwd)/check.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
no_leftovers() {
  no_files_matching "$T" '\.rtdc~$|_dcn\.rtdc$|^o[a-z]*\.rtdc$'
}

[ -d "$D" ] || { echo "FATAL: sample data $D missing"; exit 1; }

expect 0 "dcnumc [0-9]" "$B" --version
expect 0 "commands:" "$B" --help
expect 2 "unknown command" "$B" frobnicate
expect 0 "basin-strategy" "$B" run --help

# Bad options name the option.
expect 2 "no INPUT" "$B" run
expect 2 "bogus" "$B" run "$D/cytoshot-test-data.rtdc" --bogus
expect 2 "kernel_size" "$B" run "$D/cytoshot-test-data.rtdc" -o o.rtdc \
  --background-kw kernel_size=-3
expect 2 "closing_disk" "$B" run "$D/cytoshot-test-data.rtdc" -o o.rtdc \
  --mask-kw closing_disk=x
expect 2 "compression" "$B" run "$D/cytoshot-test-data.rtdc" -o o.rtdc \
  --compression zstd-42
expect 2 "nothere.rtdc" "$B" run nothere.rtdc
no_leftovers

# Bad input: one message naming the file and dataset, exit 3, no output.
expect 3 "extended-moments-features.rtdc.*events/image" \
  "$B" run "$D/fmt-hdf5_cytoshot_extended-moments-features.rtdc" -o o.rtdc
echo "not hdf5" > junk.rtdc
expect 3 "junk.rtdc.*not an HDF5 file" "$B" run junk.rtdc -o o.rtdc
head -c 100000 "$D/cytoshot-test-data.rtdc" > trunc.rtdc
expect 3 "trunc.rtdc" "$B" run trunc.rtdc -o o.rtdc
rm -f junk.rtdc trunc.rtdc
no_leftovers

# An empty measurement is not an error (D10).
expect 0 "" "$B" run "$D/M001_data.rtdc" -o oempty.rtdc -q
expect 0 "frames: +0" "$B" info oempty.rtdc
rm -f oempty.rtdc

# The command defaults to tap (issue 12): the images stay in the input,
# linked by file basins; drain (--basin-strategy drain, --drain-basins)
# copies them.  The hash does not depend on the strategy, so an output of
# the other strategy is skipped unless --force.
expect 0 "" "$B" run "$D/cytoshot-test-data.rtdc" -o otap.rtdc -q
expect 0 "dcnum basin \(file, hdf5\), basinmap0, resolved" "$B" info otap.rtdc
if h5ls otap.rtdc/events 2>/dev/null | grep -qE '^(image|frame) '; then
  bad "default run stored images or frame in its own /events"
else
  ok
fi
expect 0 "skipped" "$B" run "$D/cytoshot-test-data.rtdc" -o otap.rtdc \
  --basin-strategy drain
expect 0 "" "$B" run "$D/cytoshot-test-data.rtdc" -o odrain.rtdc -q \
  --drain-basins
if h5ls odrain.rtdc/events | grep -qE '^image '; then ok; else
  bad "--drain-basins did not store the images"
fi
expect 0 "background images" "$B" info odrain.rtdc
if "$B" info odrain.rtdc | grep -q "dcnum basin"; then
  bad "--drain-basins left file basins"
else
  ok
fi
rm -f otap.rtdc odrain.rtdc

# A real run, the JSON summary, then skip and --force.
expect 0 '"events": 55' "$B" run "$D/cytoshot-test-data.rtdc" -o ok.rtdc --json
expect 0 "dcnum hash = a35bcc0252de9f083de5746cf547117d" "$B" info ok.rtdc
expect 0 "skipped" "$B" run "$D/cytoshot-test-data.rtdc" -o ok.rtdc
expect 0 '"skipped": false' "$B" run "$D/cytoshot-test-data.rtdc" -o ok.rtdc \
  --force --json
# Same output path, other pipeline: refused without --force.
expect 1 "ok.rtdc" "$B" run "$D/cytoshot-test-data.rtdc" -o ok.rtdc \
  --mask-kw closing_disk=0
# An output processed again at once: its logs carry the same second as
# this run's own, which win.
expect 0 "" "$B" run ok.rtdc -o okagain.rtdc -q
rm -f ok.rtdc okagain.rtdc

# --limit-events: stop at the frame that reaches the limit, a valid file.
expect 0 '"events": 2[0-9],' "$B" run "$D/cytoshot-test-data.rtdc" \
  -o lim.rtdc --limit-events 20 --json
expect 0 "dcnum yield = 2[0-9]$" "$B" info lim.rtdc
rm -f lim.rtdc

# --dry-run writes nothing and prints the identifiers.
expect 0 "a35bcc0252de9f083de5746cf547117d" \
  "$B" run "$D/cytoshot-test-data.rtdc" -o ok.rtdc --dry-run
no_leftovers

# --output-dir and folder input: <stem>_dcn.rtdc, *_dcn.rtdc not re-read.
mkdir -p in/sub outdir
cp "$D/cytoshot-test-data-legacy_dce.rtdc" in/a.rtdc
cp "$D/cytoshot-test-data-legacy_dce.rtdc" in/sub/b.rtdc
expect 0 "" "$B" run in -q
[ -f in/a_dcn.rtdc ] && [ ! -f in/sub/b_dcn.rtdc ] && ok ||
  bad "folder without -r: $(ls -R in | tr '\n' ' ')"
expect 0 "" "$B" run in -r --output-dir outdir -q
[ -f outdir/a_dcn.rtdc ] && [ -f outdir/b_dcn.rtdc ] && ok ||
  bad "-r --output-dir: $(ls outdir | tr '\n' ' ')"
rm -rf in outdir

# tap with an output path that has no directory: the basin's relative path
# starts from the working directory and leads to the input.
expect 0 "" "$B" run "$D/cytoshot-test-data.rtdc" -o otap.rtdc -q \
  --basin-strategy tap
rel=$("$B" info otap.rtdc |
      sed -nE 's/^ *paths: +[^,]+, (.*cytoshot-test-data\.rtdc)$/\1/p' | head -1)
if [ -n "$rel" ] && [ "$(realpath -m "$rel")" = \
     "$(realpath "$D/cytoshot-test-data.rtdc")" ]; then
  ok
else
  bad "tap basin relative path '$rel'"
fi
rm -f otap.rtdc

# Ctrl-C: exit 130, nothing left behind.  The runs on big.rtdc use the
# slower drain layout on few workers, so that they are still running when
# the test interrupts or kills them; each waits for the run's temporary
# output before it strikes.
"$B" synth -n 6000 big.rtdc >/dev/null 2>&1 || bad "synth failed"
"$B" run big.rtdc -o obig.rtdc -q --num-workers 1 --drain-basins &
pid=$!
for _ in $(seq 1 200); do
  ls "$T" | grep -q '\.rtdc~$' && break
  sleep 0.05
done
kill -INT $pid
wait $pid
code=$?
[ $code -eq 130 ] && ok || bad "Ctrl-C exit $code, want 130"
no_leftovers

# A worker process that dies stops the run with an error (D7), no hang.
# dcnumc (pid) supervises the run (its child), which forks the workers.
"$B" run big.rtdc -o obig.rtdc -q --workers processes --num-workers 2 \
  --drain-basins 2>err.txt &
pid=$!
# The workers are forked after the background phase: wait for them.
victim=""
for _ in $(seq 1 100); do
  run=$(pgrep -P $pid | head -1)
  [ -n "$run" ] && victim=$(pgrep -P "$run" | head -1)
  [ -n "$victim" ] && break
  sleep 0.05
done
[ -n "$victim" ] && kill -KILL "$victim"
wait $pid
code=$?
if [ -z "$victim" ]; then
  bad "no worker process found"
elif [ $code -ne 0 ] && grep -q "worker process" err.txt; then
  ok
else
  bad "killed worker: exit $code: $(cat err.txt)"
fi
no_leftovers

# The run itself dies (as when libhdf5 crashes on a damaged file, or the
# OOM killer strikes): one message naming the input, exit 1, and its
# temporary output removed.
"$B" run big.rtdc -o obig.rtdc -q --num-workers 1 --drain-basins \
  2>err.txt &
pid=$!
victim=""
for _ in $(seq 1 100); do
  victim=$(pgrep -P $pid | head -1)
  [ -n "$victim" ] && ls "$T" | grep -q '\.rtdc~$' && break
  sleep 0.05
done
# SIGKILL: sanitizers would catch a SIGSEGV and exit instead of dying.
[ -n "$victim" ] && kill -KILL "$victim"
wait $pid
code=$?
if [ -z "$victim" ]; then
  bad "no run process found"
elif [ $code -eq 1 ] && grep -q "big.rtdc: the run was killed" err.txt; then
  ok
else
  bad "crashed run: exit $code: $(cat err.txt)"
fi
rm -f big.rtdc
no_leftovers

summary
