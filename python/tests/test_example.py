"""examples/chipstream_like.py, the README's script: a runner in a
thread, get_status() polled every 0.3 s."""
import os
import pathlib
import subprocess
import sys

import h5py

from conftest import REPO, data_dir

SCRIPT = pathlib.Path(os.environ.get("DCNUMC_EXAMPLES",
                                     REPO / "examples")) / "chipstream_like.py"


def run_script(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def test_example_prints_progress_until_done(dcnumc_bin, tmp_path):
    path_in = tmp_path / "m.rtdc"
    subprocess.run([str(dcnumc_bin), "synth", "-n", "4000", "--seed", "5",
                    str(path_in)], check=True, capture_output=True)
    proc = run_script(path_in)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    states = [line.split()[0] for line in lines[:-1]]
    progress = [float(line.split()[1].rstrip("%")) for line in lines[:-1]]
    assert states[-1] == "done" and progress[-1] == 100.0
    assert progress == sorted(progress)
    assert len(lines) >= 3  # polled while running
    path_out = tmp_path / "m_dcn.rtdc"
    events = int(lines[-1].split()[0])
    assert lines[-1].endswith(")") and str(path_out) in lines[-1]
    with h5py.File(path_out) as h5:
        assert h5.attrs["experiment:event count"] == events > 0


def test_example_reports_a_bad_input(tmp_path):
    path_in = (data_dir() / "inputs" /
               "fmt-hdf5_cytoshot_extended-moments-features.rtdc")
    proc = run_script(path_in, tmp_path / "o.rtdc")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1].split()[0] == "error"
    assert path_in.name in proc.stderr and "events/image" in proc.stderr
    assert list(tmp_path.iterdir()) == []
