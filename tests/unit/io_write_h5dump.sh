#!/bin/sh
# SPDX-License-Identifier: MIT
# io_write_h5dump.sh H5DUMP PLUGIN_DIR OURS REFERENCE
#
# Independent check of the writer's output with HDF5's own h5dump through
# the project's zstd plugin: for each dataset written by test_rtdc_write,
# the creation properties (type, shape, maxshape, chunks, filters with
# flags and parameters, fill time, allocation time, storage size, attrs)
# and the decoded data must equal those of dcnum's own output file.
set -u
H5DUMP=$1
export HDF5_PLUGIN_PATH=$2
OURS=$3
REF=$4
passed=0
failed=0
tmp=${TMPDIR:-/tmp}/io_write_h5dump.$$
mkdir -p "$tmp"
for ds in /events/area_um /events/nevents /events/basinmap0 \
          /events/basinmap1 /events/mask /events/image; do
    for what in "-p -H" "-A 0"; do
        # shellcheck disable=SC2086
        "$H5DUMP" $what -d "$ds" "$OURS" 2>&1 | tail -n +2 >"$tmp/ours" || true
        # shellcheck disable=SC2086
        "$H5DUMP" $what -d "$ds" "$REF" 2>&1 | tail -n +2 >"$tmp/ref" || true
        if [ -s "$tmp/ref" ] && ! grep -q "h5dump error" "$tmp/ours" &&
           cmp -s "$tmp/ours" "$tmp/ref"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            echo "h5dump $what -d $ds differs:"
            diff "$tmp/ours" "$tmp/ref" | head -20
        fi
    done
done
# the filter pipeline as dcnum writes it
if "$H5DUMP" -p -H -d /events/area_um "$OURS" | grep -q "FILTER_ID 32015" &&
   "$H5DUMP" -p -H -d /events/area_um "$OURS" | grep -q "PARAMS { 5 }" &&
   "$H5DUMP" -p -H -d /events/area_um "$OURS" | grep -q "CHECKSUM FLETCHER32"
then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "filter pipeline not [32015 (5), fletcher32]"
fi
rm -rf "$tmp"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
