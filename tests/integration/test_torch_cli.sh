#!/usr/bin/env bash
# test_torch_cli.sh DCNUMC DATA_DIR MODEL_DIR BUILT - the torch segmenters
# end to end (issue 10), with dcnum's test model unet-dcnum-test_g1_910c2:
#  - a torchmpo run of dcnum_thresh_example.rtdc gives dcnum's 13 events,
#    PPID segmenter id and pipeline hash; the output has the layout of a
#    thresh output of the same input (which dclab reads), frame 0's two
#    events have masks of 831 and 575 pixels (dcnum's labels);
#  - the output does not depend on the batch size, the number of workers
#    or threads versus processes;
#  - dcnum's applicability rules: chip region "reservoir" and a missing
#    "setup:chip region" are rejected with dcnum's message, so is a log
#    "testing-fail" reporting a failed measurement; nothing is left behind;
#  - a format-2 model, a renamed model (MD5 name check), torchsto without
#    CUDA, a missing model_file: one clear message and exit code each.
# BUILT is 1 when dcnumc has libtorch; 0 checks the stub's message.
set -u
B=$1
D=$2/inputs
M=$3
BUILT=$4
PY=/usr/bin/python3
# shellcheck source=../lib/check.sh
. "$(cd "$(dirname "$0")/../lib" && pwd)/check.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
no_leftovers() {
  no_files_matching "$T" '\.rtdc~$|^o[a-z0-9]*\.rtdc$'
  rm -f o*.rtdc
}
attr() { # attr FILE NAME
  "$PY" -c 'import h5py,sys; v=h5py.File(sys.argv[1],"r").attrs[sys.argv[2]]; print(v.decode() if isinstance(v, bytes) else v)' "$1" "$2"
}

[ -d "$D" ] || { echo "FATAL: sample data $D missing"; exit 1; }
MODEL=$M/unet-dcnum-test_g1_910c2.dcnm
[ -f "$MODEL" ] || { echo "FATAL: test model $MODEL missing"; exit 1; }
IN=$D/dcnum_thresh_example.rtdc
SEG="--segmenter torchmpo --segmenter-kw model_file=$MODEL"

# The identifiers need no libtorch.
expect 0 "a1bceba38470b6362e5101fe64a4a9da" "$B" run "$IN" -o o.rtdc $SEG --dry-run
expect 0 "torchmpo:m=unet-dcnum-test_g1_910c2.dcnm:cle=1\^f=1\^clo=0" \
  "$B" run "$IN" -o o.rtdc $SEG --dry-run
no_leftovers

if [ "$BUILT" = 0 ]; then
  expect 2 "built without libtorch" "$B" run "$IN" -o o.rtdc $SEG
  no_leftovers
  summary
  exit
fi

# The full run: dcnum's 13 events and hash.
expect 0 "13 events" "$B" run "$IN" -o ref.rtdc $SEG --drain-basins \
  --compression none --num-workers 2
if [ "$(attr ref.rtdc 'pipeline:dcnum hash')" = a1bceba38470b6362e5101fe64a4a9da ] &&
   [ "$(attr ref.rtdc 'pipeline:dcnum segmenter')" = "torchmpo:m=unet-dcnum-test_g1_910c2.dcnm:cle=1^f=1^clo=0" ] &&
   [ "$(attr ref.rtdc 'experiment:event count')" = 13 ]; then
  ok
else
  bad "ref.rtdc attributes: $(attr ref.rtdc 'pipeline:dcnum hash')"
fi

# Layout as the thresh output of the same input; frame 0's masks.
expect 0 "" "$B" run "$IN" -o thresh.rtdc --drain-basins --compression none
if "$PY" - ref.rtdc thresh.rtdc <<'PYEOF'
import sys
import h5py
import numpy as np
t, r = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
def layout(h):
    return {k: (v.dtype.str, v.shape[1:]) for k, v in h["events"].items()}
lt, lr = layout(t), layout(r)
assert lt == lr, (set(lt) ^ set(lr), [k for k in lt if lt.get(k) != lr.get(k)])
n = t.attrs["experiment:event count"]
for k, v in t["events"].items():
    assert len(v) == n or k in ("nevents",), (k, len(v), n)
assert sorted(t.attrs) == sorted(r.attrs)
frame = t["events/frame"][:]
m0 = t["events/mask"][frame == frame[0]]
sizes = sorted(int(np.count_nonzero(m)) for m in m0)
assert sizes == [575, 831], sizes
area = t["events/area_msd"][frame == frame[0]]
assert len(area) == 2
print("torch output: layout of", len(lt), "event datasets as thresh's,",
      n, "events, frame 0 masks", sizes)
PYEOF
then ok; else bad "torch output layout / frame 0 masks"; fi

# Batch size, workers, processes: identical output datasets.
same_events() { # same_events A B
  "$PY" - "$1" "$2" <<'PYEOF'
import sys
import h5py
import numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
assert sorted(a["events"]) == sorted(b["events"])
for k in a["events"]:
    x, y = a["events"][k][:], b["events"][k][:]
    assert x.shape == y.shape and np.array_equal(x, y, equal_nan=True), k
assert a.attrs["pipeline:dcnum hash"] == b.attrs["pipeline:dcnum hash"]
PYEOF
}
DCNUMC_TORCH_BATCH=1 "$B" run "$IN" -o b1.rtdc $SEG --drain-basins \
  --compression none --num-workers 1 >/dev/null 2>&1
if same_events ref.rtdc b1.rtdc; then ok; else bad "batch 1 / 1 worker differs"; fi
DCNUMC_TORCH_BATCH=5 "$B" run "$IN" -o p3.rtdc $SEG --drain-basins \
  --compression none --num-workers 3 --workers processes >/dev/null 2>&1
if same_events ref.rtdc p3.rtdc; then ok; else bad "3 processes, batch 5 differ"; fi
rm -f b1.rtdc p3.rtdc

# Applicability rules, with dcnum's messages (exit 2: the segmenter
# option does not apply to the file); nothing left behind.
variant() { # variant NAME PYTHON-STATEMENTS
  cp "$IN" "$1.rtdc" && chmod u+w "$1.rtdc" &&
    "$PY" -c "import h5py; h = h5py.File('$1.rtdc', 'a'); $2; h.close()"
}
variant reservoir 'h.attrs["setup:chip region"] = "reservoir"'
expect 2 "The dataset cannot be segmented with the 'torchmpo' segmenter: only experiments in channel region supported" \
  "$B" run reservoir.rtdc -o o.rtdc $SEG
grep -q "reservoir.rtdc" err.txt && ok || bad "message does not name the file: $(cat err.txt)"
no_leftovers
variant nokey 'del h.attrs["setup:chip region"]'
expect 2 "Key 'setup:chip region' missing in meta" "$B" run nokey.rtdc -o o.rtdc $SEG
no_leftovers
variant failed 'h["logs"].create_dataset("testing-fail", data=[b"dear user of this software, I am here to inform you that the measurement failed"])'
expect 2 "measurement failed according to the logs" "$B" run failed.rtdc -o o.rtdc $SEG
no_leftovers
variant fine 'h["logs"].create_dataset("testing-fail", data=[b"all good"])'
expect 0 "13 events" "$B" run fine.rtdc -o finedone.rtdc $SEG
no_leftovers

# Model files dcnumc cannot use.
expect 2 "format version 2.*libtorch 1.13" "$B" run "$IN" -o o.rtdc \
  --segmenter torchmpo --segmenter-kw model_file=$M/unet-dcnum-test_g1_cb45f.dcnm
cp "$MODEL" renamed_abcde.dcnm
expect 2 "MD5 mismatch for .*renamed_abcde.dcnm" "$B" run "$IN" -o o.rtdc \
  --segmenter torchmpo --segmenter-kw model_file=renamed_abcde.dcnm
expect 3 "no/such_12345.dcnm" "$B" run "$IN" -o o.rtdc \
  --segmenter torchmpo --segmenter-kw model_file=no/such_12345.dcnm
expect 2 "model_file" "$B" run "$IN" -o o.rtdc --segmenter torchmpo
expect 2 "torchuni.*not supported" "$B" run "$IN" -o o.rtdc --segmenter torchuni
expect 2 "torchsto.*CUDA" "$B" run "$IN" -o o.rtdc --segmenter torchsto \
  --segmenter-kw model_file=$MODEL
no_leftovers

summary
