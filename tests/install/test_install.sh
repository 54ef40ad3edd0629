#!/usr/bin/env bash
# test_install.sh BUILD_DIR DATA_DIR - `cmake --install` into a
# temporary prefix, then a C program built against it with nothing but
# `pkg-config --cflags --libs dcnumc` runs a job; the installed command and
# the installed HDF5 zstd plugin (for h5dump) work on the result; and
# `pip install ./python` in a virtual environment gives a package that
# runs the same job.
set -u
BUILD=$1
DATA=$2
SRC=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/check.sh
. "$SRC/../lib/check.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
P=$T/prefix
check() { # check <description> <command...>
  local what=$1
  shift
  if "$@" >"$T/log" 2>&1; then ok; else bad "$what: $(tail -5 "$T/log")"; fi
}

check "cmake --install" cmake --install "$BUILD" --prefix "$P"
LIBDIR=$(find "$P" -name 'libdcnumc.so.0' -printf '%h\n' | head -1)
PC=$(find "$P" -name dcnumc.pc -printf '%h\n' | head -1)
PLUGIN=$(find "$P" -name 'libh5zstd.so' -printf '%h\n' | head -1)
for f in "$P/bin/dcnumc" "$LIBDIR/libdcnumc.so" "$P/include/dcnumc/dcnumc.h" \
         "$P/include/dcnumc/run.h" "$PC/dcnumc.pc" "$PLUGIN/libh5zstd.so"; do
  if [ -e "$f" ]; then ok; else bad "not installed: $f"; fi
done
# versioned soname
soname=$(objdump -p "$LIBDIR/libdcnumc.so" | awk '/SONAME/ {print $2}')
if [ "$soname" = "libdcnumc.so.0" ]; then ok; else bad "soname '$soname'"; fi
case "$PLUGIN" in
  */hdf5/serial/plugins) ok ;;
  *) bad "plugin in $PLUGIN, want <libdir>/hdf5/serial/plugins" ;;
esac

export PKG_CONFIG_PATH=$PC
flags=$(pkg-config --cflags --libs dcnumc)
incdir=$(pkg-config --variable=includedir dcnumc)
if [ "$(realpath "$incdir")" = "$(realpath "$P/include")" ]; then ok; else
  bad "pkg-config includedir '$incdir' is not $P/include"
fi
# shellcheck disable=SC2086
check "build run_job.c with pkg-config" \
  cc -std=c11 -Wall -Wextra -Werror -o "$T/run_job" "$SRC/run_job.c" \
  $flags -Wl,-rpath,"$LIBDIR"
if ldd "$T/run_job" | grep -q "$LIBDIR/libdcnumc.so.0"; then ok; else
  bad "run_job does not load the installed library: $(ldd "$T/run_job")"
fi

in=$DATA/inputs/dcnum_thresh_example.rtdc
if "$T/run_job" "$in" "$T/out.rtdc" >"$T/run.txt" 2>&1; then ok; else
  bad "run_job: $(cat "$T/run.txt")"
fi
# The same hash as the installed command's dry run (and dcnum's reference).
want=$("$P/bin/dcnumc" run "$in" -o "$T/dry.rtdc" --dry-run |
       awk '/hash/ {print $2}')
ref=$(h5dump -a "pipeline:dcnum hash" \
      "$DATA/reference/dcnum_thresh_example/default/dcnum_output.rtdc" 2>/dev/null |
      grep -oE '"[0-9a-f]{32}"' | tr -d '"')
got=$(grep -oE 'hash [0-9a-f]{32}' "$T/run.txt" | awk '{print $2}')
if [ -n "$got" ] && [ "$got" = "$want" ] && [ "$got" = "$ref" ]; then ok; else
  bad "hash: run_job '$got', dcnumc --dry-run '$want', dcnum '$ref'"
fi
events=$(awk '{print $4}' "$T/run.txt")
if [ -n "$events" ] && [ "$events" -gt 0 ]; then ok; else
  bad "no events: $(cat "$T/run.txt")"
fi

# h5dump reads the zstd-compressed masks only through the installed plugin
# (without it, it prints an empty DATA block).
HDF5_PLUGIN_PATH=$PLUGIN h5dump -d events/mask -c "1,1,8" "$T/out.rtdc" \
  >"$T/h5.txt" 2>&1
if grep -q "(0,0,0):" "$T/h5.txt"; then ok; else
  bad "h5dump with the installed plugin: $(tail -5 "$T/h5.txt")"
fi
HDF5_PLUGIN_PATH=$T/nowhere h5dump -d events/mask -c "1,1,8" "$T/out.rtdc" \
  >"$T/h5no.txt" 2>&1
if grep -q "(0,0,0):" "$T/h5no.txt"; then
  bad "h5dump decoded the masks without the plugin (are they compressed?)"
else
  ok
fi

# The Python package, installed as the README says (pip, offline, Debian's
# setuptools and numpy) into a virtual environment that sees Debian's
# packages, against the library installed above.
cp -r "$SRC/../../python" "$T/pysrc"
rm -rf "$T/pysrc/build" "$T"/pysrc/*.egg-info
check "venv" /usr/bin/python3 -m venv --system-site-packages "$T/venv"
check "pip install ./python" env PKG_CONFIG_PATH="$PC" \
  "$T/venv/bin/python" -m pip install --no-build-isolation --no-index \
  "$T/pysrc"
cd "$T" || exit 1
if "$T/venv/bin/python" - "$in" "$T/py.rtdc" >"$T/py.txt" 2>&1 <<'PY'
import pathlib
import sys

import dcnumc

assert dcnumc.__file__.startswith(sys.prefix), dcnumc.__file__
assert (pathlib.Path(dcnumc.__file__).parent / "__init__.pyi").exists()
job = dcnumc.DCNumPipelineJob(path_in=sys.argv[1], path_out=sys.argv[2])
with dcnumc.DCNumJobRunner(job=job) as runner:
    runner.run()
print("version", dcnumc.version, "events", runner.event_count,
      "hash", runner.pphash)
PY
then ok; else bad "the installed Python package: $(cat "$T/py.txt")"; fi
if grep -q "events $events hash $got" "$T/py.txt"; then ok; else
  bad "Python run '$(cat "$T/py.txt")' differs from run_job '$(cat "$T/run.txt")'"
fi
if ldd "$T"/venv/lib/python3*/site-packages/dcnumc/_dcnumc*.so |
   grep -q "$LIBDIR/libdcnumc.so.0"; then ok; else
  bad "the extension does not load the installed library"
fi

summary
