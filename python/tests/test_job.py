"""dcnumc's dcnum-compatible job API: defaults, identifiers against
dcnum's reference outputs, runner states, threads, cancellation, errors."""
import logging
import os
import pickle
import socket
import subprocess
import threading
import time

import h5py
import pytest

import dcnumc
from conftest import dcnumc_command, reference_variants

VARIANTS = [v for v in reference_variants() if "ppid" in v[2]]


def thresh_example(data):
    return data / "inputs" / "dcnum_thresh_example.rtdc"


def test_job_defaults_are_dcnums(data, tmp_path):
    path_in = thresh_example(data)
    job = dcnumc.DCNumPipelineJob(path_in=path_in)
    kw = job.kwargs
    assert kw["path_in"] == path_in
    assert kw["path_out"] == path_in.with_name(
        "dcnum_thresh_example_dcn.rtdc")
    assert kw["data_code"] == "hdf"
    assert kw["background_code"] == "sparsemed"
    assert kw["background_kwargs"] == {}
    assert kw["segmenter_code"] == "thresh"
    assert kw["segmenter_kwargs"] == {"kwargs_mask": {}}
    assert kw["feature_code"] == "legacy"
    assert kw["feature_kwargs"] == {}
    assert kw["gate_code"] == "norm"
    assert kw["gate_kwargs"] == {}
    assert kw["basin_strategy"] == "drain"
    assert kw["compression"] == "zstd-5"
    assert kw["num_procs"] == len(os.sched_getaffinity(0))
    assert kw["log_level"] == logging.INFO
    assert kw["debug"] is False
    with h5py.File(path_in) as h5:
        ps = float(f"{h5.attrs['imaging:pixel size']:.8f}")
    assert kw["data_kwargs"] == {"pixel_size": ps}
    # __getitem__ hands out copies, as dcnum's
    job["data_kwargs"]["pixel_size"] = 1
    assert job["data_kwargs"]["pixel_size"] == ps
    assert dcnumc.DCNumPipelineJob(path_in, debug=True)["log_level"] == \
        logging.DEBUG


@pytest.mark.parametrize("name,variant,meta", VARIANTS,
                         ids=[f"{n}-{v}" for n, v, _ in VARIANTS])
def test_ppid_and_hash_are_dcnums(data, name, variant, meta):
    job = dcnumc.DCNumPipelineJob(data / "inputs" / f"{name}.rtdc",
                                  **meta["job_kwargs"])
    ppid, pphash, ppdict = job.get_ppid(ret_hash=True, ret_dict=True)
    assert ppid == meta["ppid"]
    assert pphash == meta["pphash"]
    assert job.get_ppid() == meta["ppid"]
    assert list(ppdict) == ["gen_id", "dat_id", "bg_id", "seg_id",
                            "feat_id", "gate_id"]
    assert dcnumc.pipeline_hash(*ppdict.values()) == meta["pphash"]
    assert job.validate() is True


def test_job_pickles(data):
    job = dcnumc.DCNumPipelineJob(thresh_example(data),
                                  feature_kwargs={"haralick": False})
    job2 = pickle.loads(pickle.dumps(job))
    assert job2.kwargs == job.kwargs
    assert job2.get_ppid() == job.get_ppid()


def test_kwargs_of_every_kind_reach_the_c_job(data, tmp_path):
    job = dcnumc.DCNumPipelineJob(
        thresh_example(data),
        data_kwargs={"pixel_size": 0.3, "index_mapping": slice(2, 10)},
        background_code="rollmed",
        background_kwargs={"kernel_size": 4, "batch_size": 20},
        segmenter_kwargs={"thresh": -5.5,
                          "kwargs_mask": {"closing_disk": 1,
                                          "fill_holes": False}},
        feature_kwargs={"volume": False},
        gate_kwargs={"size_thresh_mask": 7, "online_gates": False},
        compression="none", num_procs=1)
    assert job.get_ppid() == (
        "13|hdf:p=0.3^i=2-10-n|rollmed:k=4^b=20|"
        "thresh:t=-5.5:cle=1^f=0^clo=1|legacy:b=1^h=1^v=0|norm:o=0^s=7")
    assert job.get_hdf5_dataset_kwargs() == {
        "fletcher32": True, "compression": None, "compression_opts": None}
    assert dcnumc.DCNumPipelineJob(thresh_example(data)) \
        .get_hdf5_dataset_kwargs()["compression_opts"] == (5,)


@pytest.mark.parametrize("kwargs,match", [
    ({"background_kwargs": {"kernel_size": -1}}, "kernel_size"),
    ({"background_kwargs": {"no_such_key": 1}}, "no_such_key"),
    ({"segmenter_code": "torchmpo"}, "model_file"),
    ({"background_code": "nope"}, "nope"),
    ({"segmenter_kwargs": {"thresh": 3}}, "thresh"),
    ({"compression": "zstd-12"}, "zstd-12"),
    ({"basin_strategy": "sip"}, "sip"),
])
def test_bad_options_raise_valueerror(data, kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        dcnumc.DCNumPipelineJob(thresh_example(data), **kwargs)
    assert isinstance(info.value, dcnumc.InvalidParameterError)


def test_missing_input_names_the_file(tmp_path):
    path = tmp_path / "nothere.rtdc"
    with pytest.raises(FileNotFoundError, match="nothere.rtdc") as info:
        dcnumc.DCNumPipelineJob(path)
    assert isinstance(info.value, dcnumc.InputFileError)


def test_not_an_hdf5_file_names_the_file(tmp_path):
    path = tmp_path / "text.rtdc"
    path.write_text("this is not HDF5\n" * 100)
    with pytest.raises(dcnumc.InputFileError, match="text.rtdc"):
        dcnumc.DCNumPipelineJob(path)


def test_input_without_images_names_file_and_dataset(data, tmp_path):
    path_in = data / "inputs" / \
        "fmt-hdf5_cytoshot_extended-moments-features.rtdc"
    path_out = tmp_path / "out.rtdc"
    job = dcnumc.DCNumPipelineJob(path_in, path_out=path_out)
    with dcnumc.DCNumJobRunner(job) as runner:
        with pytest.raises(dcnumc.InputFileError) as info:
            runner.run()
        assert runner.state == "error"
        assert "events/image" in runner.error_tb
    msg = str(info.value)
    assert path_in.name in msg and "events/image" in msg
    assert isinstance(info.value, FileNotFoundError)
    assert list(tmp_path.iterdir()) == []


def test_runner_run_in_the_calling_thread(data, tmp_path):
    path_out = tmp_path / "sub" / "out.rtdc"
    job = dcnumc.DCNumPipelineJob(thresh_example(data), path_out=path_out)
    with dcnumc.DCNumJobRunner(job=job) as runner:
        assert runner.state == "init"
        assert runner.get_status() == {"progress": 0, "segm rate": 0,
                                       "state": "init"}
        temp = runner.path_temp_out
        assert temp.parent == path_out.parent
        assert temp.name.startswith("out_output_")
        assert f"_{socket.gethostname()}_" in temp.name
        assert temp.name.endswith(".rtdc~")
        runner.run()
        status = runner.get_status()
        assert status["state"] == "done" and status["progress"] == 1
        assert runner.error_tb is None
        assert runner.event_count == 12  # dcnum's reference
        assert runner.pphash == "a35bcc0252de9f083de5746cf547117d"
    assert path_out.exists() and not temp.exists()
    with h5py.File(path_out) as h5:
        assert h5.attrs["pipeline:dcnum hash"] == runner.pphash
        assert h5.attrs["experiment:event count"] == 12


def test_existing_output_raises_fileexistserror(data, tmp_path):
    path_out = tmp_path / "out.rtdc"
    path_out.write_bytes(b"")
    job = dcnumc.DCNumPipelineJob(thresh_example(data), path_out=path_out)
    with dcnumc.DCNumJobRunner(job) as runner:
        with pytest.raises(FileExistsError, match="out.rtdc"):
            runner.run()
        assert runner.state == "error"


def test_tmp_suffix_is_rejected(data):
    job = dcnumc.DCNumPipelineJob(thresh_example(data))
    with pytest.raises(ValueError, match="tmp_suffix"):
        dcnumc.DCNumJobRunner(job, tmp_suffix="abc")


@pytest.fixture(scope="module")
def big_input(tmp_path_factory):
    """A synthetic measurement long enough to be caught running."""
    path = tmp_path_factory.mktemp("big") / "big.rtdc"
    subprocess.run([str(dcnumc_command()), "synth", "-n", "6000", "--seed", "3", str(path)],
                   check=True, capture_output=True)
    return path


def test_runner_thread_reports_states_in_order(big_input, tmp_path):
    job = dcnumc.DCNumPipelineJob(big_input, path_out=tmp_path / "o.rtdc")
    runner = dcnumc.DCNumJobRunner(job)
    seen = []
    progress = []
    temp_seen = False
    runner.start()
    while runner.is_alive():
        st = runner.get_status()
        progress.append(st["progress"])
        if st["state"] == "segmentation":
            # the run writes the temporary output dcnum's path_temp_out
            # names
            temp_seen = temp_seen or runner.path_temp_out.exists()
        if not seen or seen[-1] != st["state"]:
            seen.append(st["state"])
        time.sleep(0.01)
    runner.join()
    st = runner.get_status()
    if seen[-1] != st["state"]:
        seen.append(st["state"])
    assert runner.error_tb is None, runner.error_tb
    order = [dcnumc.valid_states.index(s) for s in seen]
    assert order == sorted(order), seen
    assert seen[-1] == "done"
    assert "segmentation" in seen, seen
    assert progress == sorted(progress)
    assert any(0 < p < 1 for p in progress)
    assert runner.get_status()["segm rate"] > 0
    assert temp_seen
    assert not runner.path_temp_out.exists()
    assert (tmp_path / "o.rtdc").exists()


def test_cancel_from_another_thread(big_input, tmp_path):
    path_out = tmp_path / "o.rtdc"
    job = dcnumc.DCNumPipelineJob(big_input, path_out=path_out)
    runner = dcnumc.DCNumJobRunner(job)
    runner.start()
    t0 = time.monotonic()
    while runner.get_status()["state"] != "segmentation":
        assert runner.is_alive(), runner.error_tb
        assert time.monotonic() - t0 < 120
        time.sleep(0.002)
    canceller = threading.Thread(target=runner.cancel)
    canceller.start()
    canceller.join()
    runner.join(timeout=120)
    assert not runner.is_alive()
    assert runner.get_status()["state"] == "error"
    assert isinstance(runner.error, dcnumc.JobCancelledError)
    assert "JobCancelledError" in runner.error_tb
    assert "interrupted" in str(runner.error)
    # no output, no temporary file
    assert list(tmp_path.iterdir()) == []


def test_cancel_before_start(data, tmp_path):
    job = dcnumc.DCNumPipelineJob(thresh_example(data),
                                  path_out=tmp_path / "o.rtdc")
    runner = dcnumc.DCNumJobRunner(job)
    runner.cancel()
    with pytest.raises(dcnumc.JobCancelledError):
        runner.run()
    assert list(tmp_path.iterdir()) == []
