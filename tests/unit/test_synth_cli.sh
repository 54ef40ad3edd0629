#!/bin/sh
# SPDX-License-Identifier: MIT
# test_synth_cli.sh DCNUMC - exit codes and messages of `dcnumc synth`.
# Ends with "N passed, N failed" like the C tests.
bin=$1
dir=$(mktemp -d /tmp/dcn_synth_cli.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0

# expect NAME WANT_STATUS PATTERN -- ARGS...: run, check status and stderr.
expect() {
    name=$1 want=$2 pattern=$3
    shift 4
    "$bin" synth "$@" >"$dir/out" 2>"$dir/err"
    got=$?
    if [ "$got" -eq "$want" ] &&
        { [ -z "$pattern" ] || grep -q -e "$pattern" "$dir/err" "$dir/out"; }; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name: status $got (want $want), output:" >&2
        cat "$dir/err" "$dir/out" >&2
    fi
}

expect help 0 "usage: dcnumc synth" -- --help
expect no-n 2 "\-n" -- "$dir/x.rtdc"
expect bad-n 2 "\-n" -- -n abc "$dir/x.rtdc"
expect zero-n 2 "\-n" -- -n 0 "$dir/x.rtdc"
expect n-missing-value 2 "\-n: needs a value" -- -n
expect bad-size 2 "\-\-size" -- -n 5 --size 80by250 "$dir/x.rtdc"
expect small-size 2 "\-\-size" -- -n 5 --size 8x250 "$dir/x.rtdc"
expect bad-seed 2 "\-\-seed" -- -n 5 --seed -3 "$dir/x.rtdc"
expect bad-compression 2 "\-\-compression" -- -n 5 --compression gzip "$dir/x.rtdc"
expect bad-level 2 "\-\-compression" -- -n 5 --compression zstd-12 "$dir/x.rtdc"
expect bad-threads 2 "\-\-threads" -- -n 5 --threads 0 "$dir/x.rtdc"
expect unknown 2 "\-\-frobnicate" -- -n 5 --frobnicate "$dir/x.rtdc"
expect no-output 2 "OUT.rtdc" -- -n 5
expect two-outputs 2 "only one output" -- -n 5 "$dir/a.rtdc" "$dir/b.rtdc"
[ ! -e "$dir/x.rtdc" ] && pass=$((pass + 1)) || fail=$((fail + 1))

expect write 0 "" -- -n 60 --seed 3 --size 64x100 "$dir/ok.rtdc"
[ -s "$dir/ok.rtdc" ] && [ ! -e "$dir/ok.rtdc~" ] && pass=$((pass + 1)) ||
    fail=$((fail + 1))
cp "$dir/ok.rtdc" "$dir/ok.copy"
expect exists 1 "ok.rtdc: file exists" -- -n 10 "$dir/ok.rtdc"
cmp -s "$dir/ok.rtdc" "$dir/ok.copy" && pass=$((pass + 1)) ||
    fail=$((fail + 1))
expect force 0 "" -- -n 10 --force --compression none "$dir/ok.rtdc"
cmp -s "$dir/ok.rtdc" "$dir/ok.copy" && fail=$((fail + 1)) ||
    pass=$((pass + 1))
expect no-folder 1 "nofolder/x.rtdc" -- -n 10 "$dir/nofolder/x.rtdc"
[ ! -e "$dir/nofolder" ] && pass=$((pass + 1)) || fail=$((fail + 1))

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
