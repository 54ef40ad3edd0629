"""Build the dcnumc Python package against an installed libdcnumc.

The C library is found with pkg-config (``dcnumc.pc``; set
PKG_CONFIG_PATH for a prefix other than /usr or /usr/local).  Install with
Debian's pip and setuptools, offline::

    /usr/bin/python3 -m pip install --no-build-isolation --no-index ./python

(add ``--break-system-packages`` outside a virtual environment on newer
pips, or ``--user``).
"""
import os
import shlex
import subprocess
import sys

import numpy
from setuptools import Extension, setup


def pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args, "dcnumc"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit("setup.py: libdcnumc not found by pkg-config (install the "
                 "C library first, see README.md, and set PKG_CONFIG_PATH "
                 f"to <prefix>/<libdir>/pkgconfig): {exc}")
    return shlex.split(out)


cflags = pkg_config("--cflags")
libs = pkg_config("--libs")
libdir = pkg_config("--variable=libdir")[0]
include_dirs = [f[2:] for f in cflags if f.startswith("-I")]
library_dirs = [f[2:] for f in libs if f.startswith("-L")]
libraries = [f[2:] for f in libs if f.startswith("-l")]
# Find the library where it was installed without LD_LIBRARY_PATH.
system_dirs = {"/usr/lib", "/usr/lib/x86_64-linux-gnu", "/lib",
               "/lib/x86_64-linux-gnu"}
rpath = [] if os.path.realpath(libdir) in system_dirs else [
    os.path.realpath(libdir)]

ext = Extension(
    "dcnumc._dcnumc",
    sources=["dcnumc/_dcnumc.c"],
    include_dirs=include_dirs + [numpy.get_include()],
    library_dirs=library_dirs,
    libraries=libraries,
    runtime_library_dirs=rpath,
    extra_compile_args=["-std=c11", "-fvisibility=hidden"],
)

setup(
    name="dcnumc",
    version="0.1.0",
    description="dcnum's RT-DC processing pipeline in C, for Python",
    license="MIT",
    python_requires=">=3.10",
    install_requires=["numpy"],
    packages=["dcnumc"],
    package_data={"dcnumc": ["__init__.pyi", "py.typed"]},
    ext_modules=[ext],
    zip_safe=False,
)
