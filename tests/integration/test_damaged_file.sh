#!/usr/bin/env bash
# test_damaged_file.sh DCNUMC FILE - a damaged .rtdc (stored as .bin, which
# .gitignore does not hide) that crashes libhdf5
# 1.10.8 itself (NULL dereference in H5Aiterate2; found by
# fuzz_rtdc_open): `dcnumc info` and `dcnumc run` answer with one message
# naming the file and an exit status, never a bare signal, and leave no
# output behind.  Not under sanitizers: they catch the crash themselves.
set -u
B=$1
F=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -f "$F" ] || { echo "FATAL: $F missing"; exit 1; }
cd "$T" || exit 1
cp "$F" damaged.rtdc || exit 1
passed=0
failed=0

# expect <command> <allowed exit codes regex>: message names the file
expect() {
  local codes=$1
  shift
  "$@" >out.txt 2>err.txt
  local code=$?
  if [[ "$code" =~ ^($codes)$ ]] && grep -q "damaged.rtdc" err.txt; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $* -> exit $code: $(cat err.txt)"
  fi
}

expect "3" "$B" info damaged.rtdc
expect "1|3" "$B" run damaged.rtdc -o out.rtdc
if ls | grep -qE '^out\.rtdc$|\.rtdc~$'; then
  failed=$((failed + 1))
  echo "FAILED: files left behind: $(ls | tr '\n' ' ')"
else
  passed=$((passed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
