"""dcnum's job API (``dcnum.logic.DCNumPipelineJob``, ``DCNumJobRunner``)
over the C library's job (include/dcnumc/job.h) and run (run.h).

Code written for dcnum runs by changing the import::

    from dcnumc import DCNumPipelineJob, DCNumJobRunner

    job = DCNumPipelineJob(path_in="measurement.rtdc")
    with DCNumJobRunner(job) as runner:
        runner.run()
"""
import collections
import copy
import inspect
import logging
import numbers
import os
import pathlib
import re
import threading
import time
import traceback
from typing import Literal

import numpy as np

from . import _dcnumc
from ._errors import JobCancelledError, OutputExistsError

valid_states = [
    "created",
    "init",
    "setup",
    "background",
    "segmentation",
    "plumbing",
    "cleanup",
    "done",
    "error",
]
"""Valid states of a :class:`DCNumJobRunner`, in logical order (dcnum's)."""

_PPID_KEYS = ["gen_id", "dat_id", "bg_id", "seg_id", "feat_id", "gate_id"]


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover
        return os.cpu_count() or 1


def _kw_text(key, value) -> str:
    """'key=value' as the C job's setters parse it (dcn_job_set_kw)."""
    if value is None:
        text = "None"
    elif isinstance(value, (bool, np.bool_)):
        text = "true" if value else "false"
    elif isinstance(value, numbers.Integral):
        text = str(int(value))
    elif isinstance(value, numbers.Real):
        text = repr(float(value))
    elif isinstance(value, slice):
        def part(v):
            return "" if v is None else str(int(v))
        text = f"{part(value.start)}:{part(value.stop)}"
        if value.step is not None:
            text += f":{int(value.step)}"
    elif isinstance(value, (list, tuple, np.ndarray)):
        text = ",".join(str(int(v)) for v in value)
    elif isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
    else:
        raise TypeError(f"Unsupported value {value!r} for keyword '{key}'")
    return f"{key}={text}"


class DCNumPipelineJob:
    """A pipeline job: the options of one run, as dcnum's
    ``dcnum.logic.DCNumPipelineJob`` (see ``__init__``)."""

    def __init__(self,
                 path_in: pathlib.Path | str,
                 path_out: pathlib.Path | str | None = None,
                 data_code: str = "hdf",
                 data_kwargs: dict | None = None,
                 background_code: str = "sparsemed",
                 background_kwargs: dict | None = None,
                 segmenter_code: str = "thresh",
                 segmenter_kwargs: dict | None = None,
                 feature_code: str = "legacy",
                 feature_kwargs: dict | None = None,
                 gate_code: str = "norm",
                 gate_kwargs: dict | None = None,
                 basin_strategy: Literal["drain", "tap"] = "drain",
                 compression: str = "zstd-5",
                 num_procs: int | None = None,
                 log_level: int = logging.INFO,
                 debug: bool = False,
                 ):
        """Pipeline job recipe, with dcnum's parameters and defaults

        Parameters
        ----------
        path_in: pathlib.Path | str
            input data path
        path_out: pathlib.Path | str
            output data path (default: ``<stem>_dcn.rtdc`` next to the
            input)
        data_code: str
            input data reader ("hdf")
        data_kwargs: dict
            keyword arguments for the data reader (``pixel_size``,
            ``index_mapping``: int, slice or list of indices); the pixel
            size is taken from the input unless given
        background_code: str
            background method: "sparsemed", "rollmed" or "copy"
        background_kwargs: dict
            keyword arguments for the background method
        segmenter_code: str
            segmenter: "thresh", "torchmpo" (a dcnum .dcnm model on the
            CPU) or "torchsto" (on a CUDA GPU); dcnum's "torchuni"
            (model format 2) is not supported
        segmenter_kwargs: dict
            keyword arguments for the segmenter (``thresh``, or
            ``model_file`` for the torch segmenters) and, under
            ``kwargs_mask``, for the mask post-processing
            (``clear_border``, ``fill_holes``, ``closing_disk``)
        feature_code: str
            feature extractor ("legacy")
        feature_kwargs: dict
            ``brightness``, ``haralick``, ``volume``
        gate_code: str
            gating class ("norm")
        gate_kwargs: dict
            ``online_gates``, ``size_thresh_mask``
        basin_strategy: str
            "drain": the output contains every feature and image; "tap":
            the output links the input through basins
        compression: str
            "zstd-1" ... "zstd-9" or "none"
        num_procs: int
            number of workers (default: the number of CPUs)
        log_level: int
            logging level (kept for compatibility; the run's log is
            stored in the output file)
        debug: bool
            debugging mode (dcnumc's workers are threads either way)

        Raises
        ------
        dcnumc.InputFileError
            the pixel size is not given and the input cannot be read
        """
        self.kwargs = {}
        """keyword arguments of this job (as dcnum's)"""

        spec = inspect.getfullargspec(DCNumPipelineJob.__init__)
        locs = locals()
        for arg in spec.args:
            if arg == "self":
                continue
            value = locs[arg]
            if value is None and spec.annotations[arg] == dict | None:
                value = {}
            self.kwargs[arg] = copy.deepcopy(value)
        # The pixel size from the input, as dcnum's HDF5Data gives it; not
        # passed on to the C job, which reads it itself.
        self._input_pixel_size = None
        if "pixel_size" not in self.kwargs["data_kwargs"]:
            ps = _dcnumc._input_pixel_size(os.fspath(path_in))
            if ps > 0:
                self._input_pixel_size = ps
                self.kwargs["data_kwargs"]["pixel_size"] = ps
        if path_out is None:
            pin = pathlib.Path(path_in)
            path_out = pin.with_name(pin.stem + "_dcn.rtdc")
        if self.kwargs["debug"]:
            self.kwargs["log_level"] = logging.DEBUG
        self.kwargs["path_out"] = pathlib.Path(path_out)
        self.kwargs["segmenter_kwargs"].setdefault("kwargs_mask", {})
        if num_procs is None:
            self.kwargs["num_procs"] = _cpu_count()
        # Fail early on bad options, with the C library's message.
        self._c_job()

    def __getitem__(self, item):
        return copy.deepcopy(self.kwargs[item])

    def __getstate__(self):
        state = copy.deepcopy(self.kwargs)
        state["_input_pixel_size"] = self._input_pixel_size
        return state

    def __setstate__(self, state):
        state = copy.deepcopy(state)
        self._input_pixel_size = state.pop("_input_pixel_size", None)
        if not hasattr(self, "kwargs"):
            self.kwargs = {}
        self.kwargs.clear()
        self.kwargs.update(state)

    def _c_job(self):
        """A fresh C job (``dcnumc._dcnumc._Job``) with these options."""
        kw = self.kwargs
        cj = _dcnumc._Job()
        cj.set_path_in(os.fspath(kw["path_in"]))
        cj.set_path_out(os.fspath(kw["path_out"]))
        for comp in ["data", "background", "segmenter", "feature", "gate"]:
            cj.set_code(comp, str(kw[f"{comp}_code"]))
        for key, value in kw["data_kwargs"].items():
            if (key == "pixel_size" and self._input_pixel_size is not None
                    and value == self._input_pixel_size):
                continue  # the C job takes it from the input itself
            cj.set_kw(_dcnumc.KW_DATA, _kw_text(key, value))
        for key, value in kw["background_kwargs"].items():
            cj.set_kw(_dcnumc.KW_BACKGROUND, _kw_text(key, value))
        for key, value in kw["segmenter_kwargs"].items():
            if key == "kwargs_mask":
                for mkey, mvalue in (value or {}).items():
                    cj.set_kw(_dcnumc.KW_MASK, _kw_text(mkey, mvalue))
            else:
                cj.set_kw(_dcnumc.KW_SEGMENTER, _kw_text(key, value))
        for key, value in kw["feature_kwargs"].items():
            cj.set_kw(_dcnumc.KW_FEATURE, _kw_text(key, value))
        for key, value in kw["gate_kwargs"].items():
            cj.set_kw(_dcnumc.KW_GATE, _kw_text(key, value))
        cj.set_basin_strategy(str(kw["basin_strategy"]))
        cj.set_compression(str(kw["compression"]).strip())
        cj.set_num_procs(str(int(kw["num_procs"])))
        cj.set_debug(bool(kw["debug"]))
        cj.check()
        return cj

    def assert_pp_codes(self):
        """Sanity check of `self.kwargs` (raises ValueError)"""
        self._c_job()

    def get_hdf5_dataset_kwargs(self) -> dict:
        """Validate and return output HDF5 Dataset keyword arguments
        (h5py's, with the Zstandard filter 32015 as hdf5plugin gives it)
        """
        cp = str(self.kwargs["compression"]).lower().strip()
        ds_kw = {"fletcher32": True}
        if cp == "none":
            ds_kw["compression"] = None
            ds_kw["compression_opts"] = None
        elif re.match("^zstd-[1-9]$", cp):
            ds_kw["compression"] = 32015
            ds_kw["compression_opts"] = (int(cp[-1]),)
        else:
            raise ValueError(f"Unsupported compression setting '{cp}'")
        return ds_kw

    def get_ppid(self, ret_hash=False, ret_dict=False):
        """The pipeline identifier (and its hash and parts), as dcnum's

        The C library computes it from the input (a dry run).
        """
        res = _dcnumc._run(self._c_job(), _dcnumc._RunState(), dry_run=True)
        ppid = res["ppid"]
        ret = [ppid]
        if ret_hash:
            ret.append(res["hash"])
        if ret_dict:
            ret.append(collections.OrderedDict(
                zip(_PPID_KEYS, ppid.split("|"))))
        if len(ret) == 1:
            ret = ret[0]
        return ret

    def validate(self):
        """Make sure the pipeline will run given the job kwargs

        Returns True; raises the C library's error otherwise.
        """
        self.get_ppid()
        return True


class DCNumJobRunner(threading.Thread):
    """Runs a :class:`DCNumPipelineJob` with the C library, as dcnum's
    ``dcnum.logic.DCNumJobRunner`` (see ``__init__``)."""

    def __init__(self,
                 job: DCNumPipelineJob,
                 tmp_suffix: str | None = None,
                 *args, **kwargs):
        """Run a pipeline as defined by a :class:`DCNumPipelineJob`

        Use it as dcnum's: ``runner.run()`` in the calling thread (errors
        are raised), or ``runner.start()`` / ``runner.join()`` as a thread
        (errors are recorded in ``error_tb`` and ``error``, the state is
        "error").  ``get_status()`` may be called from any thread,
        ``cancel()`` stops a run from any thread.

        Parameters
        ----------
        job: DCNumPipelineJob
            pipeline job to run
        tmp_suffix: None
            dcnumc names its temporary output itself
            (``<stem>_output_<host>_<pid>.rtdc~``, see ``path_temp_out``);
            any other value is rejected
        """
        super(DCNumJobRunner, self).__init__(*args, **kwargs)
        if tmp_suffix is not None:
            raise ValueError("dcnumc names its temporary files itself "
                             "(see DCNumJobRunner.path_temp_out); "
                             "tmp_suffix must be None")
        self.error_tb = None
        """Traceback text of the error that stopped the run, or None"""
        self.error = None
        """The exception that stopped the run, or None"""
        self.job = job
        self.event_count = 0
        self.result = None
        """What the C library reports after a run (frames, events, ...)"""
        self._ppid = None
        self._cjob = None
        self._rs = _dcnumc._RunState()
        self._state = "init"
        self._state_lock = threading.Lock()
        self._progress_ex = None
        self._segm_rate = 0
        self.logger = logging.getLogger("dcnumc.Runner")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close(delete_temporary_files=exc_type is None)

    def _identifiers(self):
        if self._ppid is None:
            self._ppid = self.job.get_ppid(ret_hash=True, ret_dict=True)
        return self._ppid

    @property
    def ppid(self) -> str:
        """The pipeline identifier of the job"""
        return self._identifiers()[0]

    @property
    def pphash(self) -> str:
        """The pipeline hash of the job"""
        return self._identifiers()[1]

    @property
    def ppdict(self) -> dict:
        """The parts of the pipeline identifier"""
        return self._identifiers()[2]

    @property
    def path_temp_out(self) -> pathlib.Path:
        """The temporary output the run writes and renames to path_out"""
        return pathlib.Path(self._c_job().temp_path(os.getpid()))

    def _c_job(self):
        if self._cjob is None:
            self._cjob = self.job._c_job()
        return self._cjob

    @property
    def state(self):
        """The runner's state, one of :data:`valid_states`"""
        return self._state

    @state.setter
    def state(self, state):
        if state not in valid_states:
            raise ValueError(f"Invalid state '{state}' specified!")
        with self._state_lock:
            self._state = state

    def cancel(self):
        """Stop the run (from any thread): it ends with state "error"
        and a JobCancelledError, and leaves no output file."""
        self._rs.cancel()

    def close(self, delete_temporary_files=True):
        """Nothing to clean up: a failed or cancelled run has removed its
        temporary output itself."""
        self._cjob = None

    def join(self, delete_temporary_files=True, *args, **kwargs):
        """Wait for the thread started with start(), then close()"""
        super(DCNumJobRunner, self).join(*args, **kwargs)
        self.close(delete_temporary_files=delete_temporary_files)

    def _live_state(self, snap):
        """The state from the C run's last progress report."""
        phase = snap["phase"]
        with self._state_lock:
            if self._state in ["setup", "background", "segmentation",
                               "plumbing"] and phase in valid_states:
                if valid_states.index(phase) > valid_states.index(
                        self._state):
                    self._state = phase
            return self._state

    def get_status(self):
        """Progress in [0, 1], segmentation rate (frames/s) and state,
        weighted by the steps as dcnum's"""
        snap = self._rs.snapshot()
        st = self._live_state(snap)
        if snap["phase"] == "segmentation" and snap["frames"] > 0:
            self._progress_ex = snap["frames_done"] / snap["frames"]
            if snap["seconds"] > 0:
                self._segm_rate = snap["frames_done"] / snap["seconds"]
        bgw = 4
        exw = 27
        drw = 15 if self.job["basin_strategy"] == "drain" else 1
        clw = 1
        tot = bgw + exw + drw + clw
        progress = 0
        if st != "error":
            if valid_states.index(st) > valid_states.index("background"):
                progress += bgw / tot
            if valid_states.index(st) > valid_states.index("segmentation"):
                progress += exw / tot
            elif self._progress_ex is not None:
                progress += self._progress_ex * exw / tot
            if valid_states.index(st) > valid_states.index("plumbing"):
                progress += drw / tot
        if st == "done":
            progress = 1
        return {
            "progress": progress,
            "segm rate": self._segm_rate,
            "state": st,
        }

    def run(self):
        """Run the job; an error is raised when called directly, and
        recorded (state "error", error, error_tb) in a started thread"""
        try:
            self.run_pipeline()
        except BaseException as exc:
            self.state = "error"
            self.error = exc
            self.error_tb = traceback.format_exc()
            if not self.is_alive():
                # Not running as a thread: raise, as dcnum does.
                raise

    def run_pipeline(self):
        """Execute the pipeline job"""
        t0 = time.perf_counter()
        path_out = self.job["path_out"]
        if path_out.exists():
            raise OutputExistsError(
                f"Output file {path_out} already exists!")
        path_out.parent.mkdir(parents=True, exist_ok=True)
        self.state = "setup"
        if self._rs.snapshot()["cancelled"]:
            raise JobCancelledError(f"{self.job['path_in']}: interrupted")
        res = _dcnumc._run(self._c_job(), self._rs)
        self.state = "cleanup"
        self.result = res
        self.event_count = res["events"]
        if self._ppid is None:
            self._ppid = (res["ppid"], res["hash"], collections.OrderedDict(
                zip(_PPID_KEYS, res["ppid"].split("|"))))
        self.logger.info(
            f"{self.job['path_in']}: {res['events']} events in "
            f"{res['frames']} frames, {time.perf_counter() - t0:.1f} s")
        self.state = "done"
