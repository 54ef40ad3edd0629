"""dcnumc: dcnum's RT-DC processing pipeline, in C, for Python.

- :class:`ChunkSlotData`: dcnum's chunk slot, its arrays numpy views of
  process-shared memory (shared with children made by ``os.fork()``).
- :class:`DCNumPipelineJob` and :class:`DCNumJobRunner`: dcnum's job API;
  code written for ``dcnum.logic`` runs by changing the import.
- :data:`version`: the version of the C library.
"""
from ._dcnumc import ChunkSlotData, pipeline_generation, pipeline_hash
from ._dcnumc import version as _c_version
from ._errors import (
    DCNumCError, InputFileError, InputNotFoundError, InvalidParameterError,
    JobCancelledError, OutputExistsError, WorkerError,
)
from ._job import DCNumJobRunner, DCNumPipelineJob, valid_states

version: str = _c_version
"""The version of the dcnumc C library the package runs on ("0.1.0")."""
__version__ = version

__all__ = [
    "ChunkSlotData", "DCNumPipelineJob", "DCNumJobRunner", "valid_states",
    "DCNumCError", "InputFileError", "InputNotFoundError",
    "InvalidParameterError", "JobCancelledError", "OutputExistsError",
    "WorkerError", "pipeline_generation", "pipeline_hash", "version",
]
