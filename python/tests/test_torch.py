"""dcnum's PyTorch segmenter torchmpo through the Python job API (issue
10): code written for dcnum with ``segmenter_code="torchmpo"`` and
``segmenter_kwargs={"model_file": path}`` runs unchanged and gives
dcnum's PPID, hash and 13 events on dcnum_thresh_example.rtdc with
dcnum's test model (../shared/data/torch)."""
import pathlib
import zipfile

import h5py
import pytest

import dcnumc

SEG_ID = "torchmpo:m=unet-dcnum-test_g1_910c2.dcnm:cle=1^f=1^clo=0"
HASH = "a1bceba38470b6362e5101fe64a4a9da"


@pytest.fixture
def model(data, tmp_path) -> pathlib.Path:
    zpath = data / "torch" / "segm-torch-model_unet-dcnum-test_g1_910c2.zip"
    with zipfile.ZipFile(zpath) as z:
        z.extractall(tmp_path / "model")
    return tmp_path / "model" / "unet-dcnum-test_g1_910c2.dcnm"


def example(data):
    return data / "inputs" / "dcnum_thresh_example.rtdc"


@pytest.mark.parametrize("as_path", [True, False])
def test_torchmpo_ppid_and_hash_are_dcnums(data, model, as_path):
    job = dcnumc.DCNumPipelineJob(
        example(data), segmenter_code="torchmpo",
        segmenter_kwargs={"model_file": model if as_path else str(model)})
    ppid, pphash = job.get_ppid(ret_hash=True)
    assert ppid.split("|")[3] == SEG_ID
    assert pphash == HASH


def test_torchmpo_run_gives_dcnums_events(data, model, tmp_path):
    path_out = tmp_path / "out.rtdc"
    job = dcnumc.DCNumPipelineJob(
        example(data), path_out=path_out, segmenter_code="torchmpo",
        segmenter_kwargs={"model_file": model})
    with dcnumc.DCNumJobRunner(job) as runner:
        runner.run()
        assert runner.get_status()["state"] == "done"
        assert runner.event_count == 13
        assert runner.pphash == HASH
    with h5py.File(path_out) as h5:
        assert h5.attrs["pipeline:dcnum segmenter"] == SEG_ID
        assert h5.attrs["experiment:event count"] == 13
        assert h5["events/mask"].shape == (13, 80, 320)


def test_torchmpo_needs_a_model_file(data):
    with pytest.raises(ValueError, match="model_file"):
        dcnumc.DCNumPipelineJob(example(data), segmenter_code="torchmpo")


def test_torchuni_is_not_supported(data, model):
    with pytest.raises(ValueError, match="torchuni"):
        dcnumc.DCNumPipelineJob(example(data), segmenter_code="torchuni",
                                segmenter_kwargs={"model_file": model})
