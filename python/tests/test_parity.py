"""A job through the Python API gives the output of
`dcnumc run --basin-strategy drain`: every dataset and attribute equal,
the same logs (up to times and the output path), and dcnum's PPID, hash
and event count (the reference outputs' meta.json)."""
import json
import re
import subprocess

import h5py
import numpy as np
import pytest

import dcnumc
from conftest import data_dir

# (input, reference variant, job kwargs, the same options for the command)
CASES = [
    ("dcnum_thresh_example", "default", {}, []),
    ("cytoshot-test-data", "default", {}, []),
    ("cytoshot-test-data-legacy_dce", "default", {}, []),
    ("file_with_variable_length_logs", "default", {}, []),
    ("cytoshot-x5", "default", {}, []),
    ("cytoshot-x5", "clo0",
     {"segmenter_kwargs": {"kwargs_mask": {"closing_disk": 0}}},
     ["--mask-kw", "closing_disk=0"]),
    ("cytoshot-x5", "notex", {"feature_kwargs": {"haralick": False}},
     ["--feature-kw", "haralick=false"]),
    ("cytoshot-x5", "rollmed", {"background_code": "rollmed"},
     ["--background", "rollmed"]),
    ("cytoshot-x5", "copy", {"background_code": "copy"},
     ["--background", "copy"]),
    ("synth-1000", "default", {}, []),
]


def walk(node, out, prefix=""):
    """Every attribute and dataset value below node, by path."""
    for key, value in node.attrs.items():
        out[f"{prefix}@{key}"] = value
    if isinstance(node, h5py.Group):
        for key in node:
            walk(node[key], out, f"{prefix}/{key}")
    else:
        out[prefix] = node[()]
        out[f"{prefix}#dtype"] = str(node.dtype)
        out[f"{prefix}#chunks"] = node.chunks
        out[f"{prefix}#filters"] = (node.compression, node.compression_opts,
                                    node.fletcher32)
    return out


def mask_digits(text):
    return re.sub(r"[0-9]", "#", text)


def normalise(items):
    """Logs: times masked, the job log without its path_out."""
    out = {}
    for key, value in items.items():
        if not key.startswith("/logs/"):
            out[key] = value
            continue
        name = mask_digits(key)
        if "dcnum-job-" in key and key.endswith("#dtype"):
            continue  # fixed-length strings as long as the longest line,
            # which names the output path
        if "@" in key or "#" in key:  # attributes, dtype, chunks, filters
            out[name] = value
            continue
        lines = [v.decode() if isinstance(v, bytes) else str(v)
                 for v in np.atleast_1d(value)]
        if "dcnum-job-" in key:
            job = json.loads("\n".join(lines))
            job["job"].pop("path_out")
            out[name] = job
        else:
            out[name] = [mask_digits(line) for line in lines]
    return out


def same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.names:  # tables: field by field
            return all(same(a[f], b[f]) for f in a.dtype.names)
        return np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    return a == b


@pytest.mark.parametrize("name,variant,kwargs,cli_args", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_python_job_equals_dcnumc_run(dcnumc_bin, tmp_path, name, variant,
                                      kwargs, cli_args):
    data = data_dir()
    path_in = data / "inputs" / f"{name}.rtdc"
    meta = json.loads((data / "reference" / name / variant /
                       "meta.json").read_text())
    assert meta["job_kwargs"] == kwargs  # the case is the reference's job

    out_cli = tmp_path / "cli.rtdc"
    subprocess.run([str(dcnumc_bin), "run", str(path_in), "-o", str(out_cli),
                    "--basin-strategy", "drain", "-q", *cli_args],
                   check=True)
    out_py = tmp_path / "py.rtdc"
    job = dcnumc.DCNumPipelineJob(path_in, path_out=out_py, **kwargs)
    with dcnumc.DCNumJobRunner(job) as runner:
        runner.run()

    # dcnum's identifiers and yield
    assert runner.ppid == meta["ppid"]
    assert runner.pphash == meta["pphash"]
    assert runner.event_count == meta["event_count"]

    with h5py.File(out_cli) as hc, h5py.File(out_py) as hp:
        a = normalise(walk(hc, {}))
        b = normalise(walk(hp, {}))
        for key, value in meta["pipeline"].items():
            assert hp.attrs[key] == value, key
        assert hp.attrs["experiment:event count"] == meta["event_count"]
        assert "image" in hp["events"] and "mask" in hp["events"]  # drain
    assert sorted(a) == sorted(b)
    differ = [(key, a[key], b[key]) for key in a if not same(a[key], b[key])]
    assert differ == []
