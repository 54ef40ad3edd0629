"""The exceptions of dcnumc, one per kind of failure of the C library.

Every exception is a :class:`DCNumCError` and also the built-in exception
Python code would expect for that failure (``FileNotFoundError``,
``ValueError``, ...), so that ``except OSError`` and friends work.  Its
message is the C library's: for a bad input it names the file and the
dataset.  ``code`` is the C status (``dcn_status``).
"""

# The C library's status codes (include/dcnumc/status.h).
DCN_ENOMEM = -1
DCN_EINVAL = -2
DCN_EIO = -3
DCN_EFORMAT = -4
DCN_EWORKER = -5
DCN_ERANGE = -6
DCN_ECANCELED = -7
DCN_ENOTFOUND = -8
DCN_EEXIST = -9
DCN_EFILTER = -10
DCN_ECORRUPT = -11


class DCNumCError(Exception):
    """Base class of dcnumc's errors; ``code`` is the C status."""

    code = 0


class InvalidParameterError(DCNumCError, ValueError):
    """A bad job option or argument (DCN_EINVAL, DCN_ERANGE)."""


class InputFileError(DCNumCError, OSError):
    """The input file cannot be read or is not a valid .rtdc file
    (DCN_EIO, DCN_EFORMAT, DCN_EFILTER, DCN_ECORRUPT)."""


class InputNotFoundError(InputFileError, FileNotFoundError):
    """A file, dataset, attribute or feature is missing (DCN_ENOTFOUND)."""


class OutputExistsError(DCNumCError, FileExistsError):
    """The output exists already (DCN_EEXIST); dcnum raises
    FileExistsError too."""


class JobCancelledError(DCNumCError):
    """The run was cancelled (DCN_ECANCELED)."""


class WorkerError(DCNumCError, RuntimeError):
    """A worker died or a shared lock was abandoned (DCN_EWORKER)."""


_CLASSES = {
    DCN_ENOMEM: None,
    DCN_EINVAL: InvalidParameterError,
    DCN_ERANGE: InvalidParameterError,
    DCN_EIO: InputFileError,
    DCN_EFORMAT: InputFileError,
    DCN_EFILTER: InputFileError,
    DCN_ECORRUPT: InputFileError,
    DCN_ENOTFOUND: InputNotFoundError,
    DCN_EEXIST: OutputExistsError,
    DCN_ECANCELED: JobCancelledError,
    DCN_EWORKER: WorkerError,
}


def error_for(code: int, message: str) -> BaseException:
    """The exception for C status ``code`` with the C library's message
    (called by the extension)."""
    if code == DCN_ENOMEM:
        return MemoryError(message)
    exc = _CLASSES.get(code, DCNumCError)(message)
    exc.code = code
    return exc
