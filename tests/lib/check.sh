# shellcheck shell=bash
# check.sh - counters and the expect helper of the shell tests (sourced).
# Each script ends with summary, which prints "N passed, N failed" and
# fails when a check failed.
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1))
  echo "FAILED: $*"
}
# expect <exit code> <output pattern (ERE, may be empty)> <command...>:
# runs the command with stdout in out.txt and stderr in err.txt.
expect() {
  local code=$1 pat=$2
  shift 2
  "$@" >out.txt 2>err.txt
  local got=$?
  if [ "$got" -ne "$code" ]; then
    bad "$* -> exit $got, want $code: $(cat err.txt)"
  elif [ -n "$pat" ] && ! grep -qE -- "$pat" err.txt out.txt; then
    bad "$* -> output lacks /$pat/: $(cat err.txt out.txt)"
  else
    ok
  fi
}
# no_files_matching <dir> <ERE>: a check that no file name in dir matches
# (a failed run must leave neither output nor temporary file behind).
no_files_matching() {
  if ls "$1" | grep -qE -- "$2"; then
    bad "files left behind: $(ls "$1" | tr '\n' ' ')"
  else
    ok
  fi
}
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
