"""Shared fixtures: the sample data (../shared/data beside the repository,
or DCN_SHARED_DATA), the dcnumc command of the build tree (DCNUMC_BIN) and
the HDF5 zstd plugin for h5py (HDF5_PLUGIN_PATH).  Missing data fail the
tests; they are never skipped."""
import json
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

# h5py reads dcnumc's zstd-compressed datasets through the plugin; libhdf5
# looks at HDF5_PLUGIN_PATH when h5py is first imported.
os.environ.setdefault("HDF5_PLUGIN_PATH", str(REPO / "build" / "plugins"))


def data_dir() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("DCN_SHARED_DATA",
                                       REPO.parent / "shared" / "data"))
    if not (path / "inputs").is_dir():
        raise RuntimeError(f"sample data not found in {path} "
                           "(set DCN_SHARED_DATA)")
    return path


def reference_variants():
    """(input name, variant, meta) of every dcnum reference output."""
    out = []
    for meta in sorted((data_dir() / "reference").glob("*/*/meta.json")):
        out.append((meta.parent.parent.name, meta.parent.name,
                    json.loads(meta.read_text())))
    assert out, "no reference outputs"
    return out


@pytest.fixture
def data():
    return data_dir()


def dcnumc_command() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("DCNUMC_BIN",
                                       REPO / "build" / "src" / "cli" /
                                       "dcnumc"))
    assert path.exists(), f"dcnumc command not found: {path} (DCNUMC_BIN)"
    return path


@pytest.fixture
def dcnumc_bin() -> pathlib.Path:
    return dcnumc_command()
