/* SPDX-License-Identifier: MIT */
/*
 * _dcnumc.c - the CPython extension of the dcnumc package, a client of
 * the public C API (include/dcnumc) only.
 *
 *   ChunkSlotData  dcnum's ChunkSlotData over a dcn_chunk_slot: its
 *                  arrays are zero-copy numpy views of the slot's
 *                  MAP_SHARED memory (each view keeps the slot alive), so
 *                  a slot made before os.fork() is shared by the children.
 *   _Job           a struct dcn_job and its setters (used by _job.py).
 *   _RunState      progress and cancellation of one run, shared between
 *                  the thread that runs and the threads that poll.
 *   _run()         dcn_run() without the GIL.
 *
 * Errors become the exceptions of dcnumc/_errors.py (error_for()).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dcnumc/chunk_slot.h"
#include "dcnumc/dcnumc.h"
#include "dcnumc/job.h"
#include "dcnumc/rtdc_info.h"
#include "dcnumc/run.h"

/* A new reference to None (Py_RETURN_NONE, spelt out for cppcheck). */
static PyObject *
none(void)
{
    Py_INCREF(Py_None);
    return Py_None;
}

/* Raise the exception _errors.error_for(code, msg) makes; returns NULL. */
static PyObject *
raise_status(int code, const char *msg)
{
    PyObject *mod = PyImport_ImportModule("dcnumc._errors");
    PyObject *exc = NULL;

    if (mod == NULL)
        return NULL;
    exc = PyObject_CallMethod(
            mod, "error_for", "is", code,
            msg != NULL && msg[0] != '\0' ? msg : dcn_strerror(code));
    Py_DECREF(mod);
    if (exc == NULL)
        return NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return NULL;
}

static PyObject *
raise_error(const struct dcn_error *err, int code)
{
    return raise_status(code, err->msg);
}

/* ------------------------------------------------------------------ */
/* ChunkSlotData                                                      */

typedef struct {
    PyObject_HEAD struct dcn_chunk_slot *slot; /* owned mapping */
    pid_t creator;  /* the process that made the slot frees it */
    size_t map_len; /* bytes mapped (children only unmap) */
    npy_intp dims[3];
} SlotObject;

static int
parse_shape(PyObject *shape, npy_intp dims[3])
{
    PyObject *seq = PySequence_Fast(shape, "shape must be a sequence");
    int rc = -1;

    if (seq == NULL)
        return -1;
    if (PySequence_Fast_GET_SIZE(seq) != 3) {
        PyErr_SetString(PyExc_ValueError,
                        "shape must have three entries: (frames, height, "
                        "width)");
        goto out;
    }
    for (Py_ssize_t i = 0; i < 3; i++) {
        Py_ssize_t v = PyNumber_AsSsize_t(PySequence_Fast_GET_ITEM(seq, i),
                                          PyExc_OverflowError);

        if (v == -1 && PyErr_Occurred())
            goto out;
        if (v < 0) {
            PyErr_SetString(PyExc_ValueError,
                            "shape entries must not be negative");
            goto out;
        }
        dims[i] = (npy_intp)v;
    }
    rc = 0;
out:
    Py_DECREF(seq);
    return rc;
}

/* available_features: None or an iterable of names; "image_bg" and
 * "bg_off" give the slot room for them, other names are ignored (as in
 * dcnum). */
static int
parse_features(PyObject *features, unsigned *out)
{
    PyObject *it;
    PyObject *item;

    *out = 0;
    if (features == NULL || features == Py_None)
        return 0;
    it = PyObject_GetIter(features);
    if (it == NULL)
        return -1;
    while ((item = PyIter_Next(it)) != NULL) {
        const char *name =
                PyUnicode_Check(item) ? PyUnicode_AsUTF8(item) : NULL;

        if (name == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError,
                                "available_features must hold str");
            Py_DECREF(item);
            Py_DECREF(it);
            return -1;
        }
        if (strcmp(name, "image_bg") == 0)
            *out |= DCN_SLOT_IMAGE_BG;
        else if (strcmp(name, "bg_off") == 0)
            *out |= DCN_SLOT_BG_OFF;
        Py_DECREF(item);
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

static int
Slot_init(SlotObject *self, PyObject *args, PyObject *kwds)
{
    static char kw_shape[] = "shape";
    static char kw_available_features[] = "available_features";
    static char *kwlist[] = {kw_shape, kw_available_features, NULL};
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_slot_shape shape;
    PyObject *pshape = NULL;
    PyObject *features = NULL;
    unsigned feat = 0;
    int rc;

    if (self->slot != NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "ChunkSlotData cannot be initialised twice");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O", kwlist, &pshape,
                                     &features))
        return -1;
    if (parse_shape(pshape, self->dims) < 0 ||
        parse_features(features, &feat) < 0)
        return -1;
    shape.frames = (size_t)self->dims[0];
    shape.height = (size_t)self->dims[1];
    shape.width = (size_t)self->dims[2];
    rc = dcn_chunk_slot_new(&self->slot, &shape, feat, &err);
    if (rc < 0) {
        raise_error(&err, rc);
        return -1;
    }
    self->creator = getpid();
    self->map_len = dcn_chunk_slot_size(&shape, feat, 0);
    return 0;
}

static void
Slot_dealloc(SlotObject *self)
{
    if (self->slot != NULL) {
        /* A forked child must not destroy the lock the parent still
         * uses: it only drops its own mapping. */
        if (getpid() == self->creator)
            dcn_chunk_slot_free(self->slot);
        else
            (void)munmap(self->slot, self->map_len);
        self->slot = NULL;
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
slot_ready(SlotObject *self)
{
    if (self->slot != NULL)
        return 0;
    PyErr_SetString(PyExc_RuntimeError, "ChunkSlotData is not initialised");
    return -1;
}

/* A view of n-dimensional data of the slot that keeps the slot alive;
 * None for an array the slot does not have. */
static PyObject *
slot_view(SlotObject *self, void *data, int nd, int typenum)
{
    PyObject *arr;

    if (slot_ready(self) < 0)
        return NULL;
    if (data == NULL)
        return none();
    arr = PyArray_SimpleNewFromData(nd, self->dims, typenum, data);
    if (arr == NULL)
        return NULL;
    Py_INCREF(self);
    if (PyArray_SetBaseObject((PyArrayObject *)arr, (PyObject *)self) < 0) {
        Py_DECREF(arr);
        return NULL;
    }
    return arr;
}

static PyObject *
Slot_get_image(SlotObject *self, void *closure)
{
    (void)closure;
    return slot_view(self, self->slot ? dcn_chunk_slot_image(self->slot) : NULL,
                     3, NPY_UINT8);
}

static PyObject *
Slot_get_image_bg(SlotObject *self, void *closure)
{
    (void)closure;
    return slot_view(self,
                     self->slot ? dcn_chunk_slot_image_bg(self->slot) : NULL, 3,
                     NPY_UINT8);
}

static PyObject *
Slot_get_image_corr(SlotObject *self, void *closure)
{
    (void)closure;
    return slot_view(self,
                     self->slot ? dcn_chunk_slot_image_corr(self->slot) : NULL,
                     3, NPY_INT16);
}

static PyObject *
Slot_get_bg_off(SlotObject *self, void *closure)
{
    (void)closure;
    return slot_view(self,
                     self->slot ? dcn_chunk_slot_bg_off(self->slot) : NULL, 1,
                     NPY_FLOAT64);
}

static PyObject *
Slot_get_mask(SlotObject *self, void *closure)
{
    (void)closure;
    return slot_view(self, self->slot ? dcn_chunk_slot_mask(self->slot) : NULL,
                     3, NPY_BOOL);
}

static PyObject *
Slot_get_labels(SlotObject *self, void *closure)
{
    (void)closure;
    return slot_view(self,
                     self->slot ? dcn_chunk_slot_labels(self->slot) : NULL, 3,
                     NPY_UINT16);
}

static PyObject *
Slot_get_shape(SlotObject *self, void *closure)
{
    (void)closure;
    return Py_BuildValue("(nnn)", (Py_ssize_t)self->dims[0],
                         (Py_ssize_t)self->dims[1], (Py_ssize_t)self->dims[2]);
}

static PyObject *
Slot_get_length(SlotObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromSsize_t((Py_ssize_t)self->dims[0]);
}

static PyObject *
Slot_get_chunk(SlotObject *self, void *closure)
{
    (void)closure;
    if (slot_ready(self) < 0)
        return NULL;
    return PyLong_FromLongLong((long long)dcn_chunk_slot_chunk(self->slot));
}

static int
Slot_set_chunk(SlotObject *self, PyObject *value, void *closure)
{
    long long v;
    int rc;

    (void)closure;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete chunk");
        return -1;
    }
    if (slot_ready(self) < 0)
        return -1;
    v = PyLong_AsLongLong(value);
    if (v == -1 && PyErr_Occurred())
        return -1;
    rc = dcn_chunk_slot_set_chunk(self->slot, (int64_t)v);
    if (rc < 0) {
        raise_status(rc, "chunk: cannot set the chunk index");
        return -1;
    }
    return 0;
}

static PyObject *
Slot_get_state(SlotObject *self, void *closure)
{
    char c;

    (void)closure;
    if (slot_ready(self) < 0)
        return NULL;
    c = (char)dcn_chunk_slot_state(self->slot);
    return PyUnicode_FromStringAndSize(&c, 1);
}

/* One of the nine state letters; -1 with ValueError otherwise. */
static int
parse_state(PyObject *value, enum dcn_slot_state *state)
{
    const char *s = PyUnicode_Check(value) ? PyUnicode_AsUTF8(value) : NULL;

    if (s == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "a state is a str");
        return -1;
    }
    if (strlen(s) != 1 || !dcn_slot_state_valid((unsigned char)s[0])) {
        PyErr_Format(PyExc_ValueError,
                     "invalid state '%s': one of '0', 'i', 's', 'm', 'l', "
                     "'e', 'w', 'd', 'n'",
                     s);
        return -1;
    }
    *state = (enum dcn_slot_state)s[0];
    return 0;
}

static int
Slot_set_state(SlotObject *self, PyObject *value, void *closure)
{
    PyThreadState *ts;
    enum dcn_slot_state state;
    int rc;

    (void)closure;
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete state");
        return -1;
    }
    if (slot_ready(self) < 0 || parse_state(value, &state) < 0)
        return -1;
    ts = PyEval_SaveThread();
    rc = dcn_chunk_slot_set_state(self->slot, state);
    PyEval_RestoreThread(ts);
    if (rc < 0) {
        raise_status(rc, "state: cannot set the state");
        return -1;
    }
    return 0;
}

static PyObject *
Slot_acquire_task_lock(SlotObject *self, PyObject *args, PyObject *kwds)
{
    PyThreadState *ts;
    static char kw_req_state[] = "req_state";
    static char kw_batch_size[] = "batch_size";
    static char *kwlist[] = {kw_req_state, kw_batch_size, NULL};
    PyObject *req = NULL;
    PyObject *batch = Py_None;
    enum dcn_slot_state state;
    size_t nbatch = DCN_BATCH_ALL;
    size_t start = 0;
    size_t stop = 0;
    int rc;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|O", kwlist, &req, &batch))
        return NULL;
    if (slot_ready(self) < 0 || parse_state(req, &state) < 0)
        return NULL;
    if (batch != Py_None) {
        Py_ssize_t n = PyNumber_AsSsize_t(batch, PyExc_OverflowError);

        if (n == -1 && PyErr_Occurred())
            return NULL;
        if (n < 1) {
            PyErr_SetString(PyExc_ValueError,
                            "batch_size must be None or at least 1");
            return NULL;
        }
        nbatch = (size_t)n;
    }
    ts = PyEval_SaveThread();
    rc = dcn_chunk_slot_acquire_task_lock(self->slot, state, nbatch, &start,
                                          &stop);
    PyEval_RestoreThread(ts);
    if (rc < 0)
        return raise_status(
                rc,
                "acquire_task_lock: a process died holding the slot's lock");
    return Py_BuildValue("(nn)", (Py_ssize_t)start, (Py_ssize_t)stop);
}

static PyObject *
Slot_release_task_lock(SlotObject *self, PyObject *args, PyObject *kwds)
{
    PyThreadState *ts;
    static char kw_start[] = "start";
    static char kw_stop[] = "stop";
    static char kw_task_done[] = "task_done";
    static char *kwlist[] = {kw_start, kw_stop, kw_task_done, NULL};
    Py_ssize_t start = 0;
    Py_ssize_t stop = 0;
    int done = 1;
    int rc;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "nn|p", kwlist, &start, &stop,
                                     &done))
        return NULL;
    if (slot_ready(self) < 0)
        return NULL;
    if (start < 0 || stop < start || stop > self->dims[0]) {
        PyErr_Format(PyExc_ValueError,
                     "release_task_lock: [%zd, %zd) is not a range of the "
                     "slot's %zd frames",
                     start, stop, (Py_ssize_t)self->dims[0]);
        return NULL;
    }
    ts = PyEval_SaveThread();
    rc = dcn_chunk_slot_release_task_lock(self->slot, (size_t)start,
                                          (size_t)stop, done != 0);
    PyEval_RestoreThread(ts);
    if (rc < 0)
        return raise_status(rc, "release_task_lock: cannot release the range");
    return none();
}

static PyObject *
Slot_get_progress(SlotObject *self, PyObject *unused)
{
    PyThreadState *ts;
    double progress = 0;
    int rc;

    (void)unused;
    if (slot_ready(self) < 0)
        return NULL;
    ts = PyEval_SaveThread();
    rc = dcn_chunk_slot_get_progress(self->slot, &progress);
    PyEval_RestoreThread(ts);
    if (rc < 0)
        return raise_status(
                rc, "get_progress: a process died holding the slot's lock");
    return PyFloat_FromDouble(progress);
}

static PyObject *
Slot_repr(SlotObject *self)
{
    char c = self->slot ? (char)dcn_chunk_slot_state(self->slot) : '?';
    long long chunk =
            self->slot ? (long long)dcn_chunk_slot_chunk(self->slot) : -1;

    return PyUnicode_FromFormat("<ChunkSlotData shape=(%zd, %zd, %zd) "
                                "state='%c' chunk=%lld>",
                                (Py_ssize_t)self->dims[0],
                                (Py_ssize_t)self->dims[1],
                                (Py_ssize_t)self->dims[2], c, chunk);
}

static PyGetSetDef Slot_getset[] = {
        {"shape", (getter)Slot_get_shape, NULL,
         "3D shape of the chunk in this slot: (frames, height, width)", NULL},
        {"length", (getter)Slot_get_length, NULL,
         "Number of frames of the slot (shape[0])", NULL},
        {"chunk", (getter)Slot_get_chunk, (setter)Slot_set_chunk,
         "Current chunk being analyzed (-1 before the first)", NULL},
        {"state", (getter)Slot_get_state, (setter)Slot_set_state,
         "Current state of the slot, one letter: '0' construction, 'i' "
         "image loading, 's' segmentation, 'm' mask labeling, 'l' label "
         "processing, 'e' feature extraction, 'w' writing, 'd' done, 'n' "
         "not specified.  Workflow: 0 -> i -> s -> m -> l -> e -> w -> d "
         "-> i ...  Setting a different state resets the progress.",
         NULL},
        {"bg_off", (getter)Slot_get_bg_off, NULL,
         "Brightness offset correction for the current chunk (float64 "
         "numpy view of length frames; None without 'bg_off')",
         NULL},
        {"image", (getter)Slot_get_image, NULL,
         "numpy view on image data (uint8, shape)", NULL},
        {"image_bg", (getter)Slot_get_image_bg, NULL,
         "numpy view on background image data (uint8; None without "
         "'image_bg')",
         NULL},
        {"image_corr", (getter)Slot_get_image_corr, NULL,
         "numpy view on background-corrected image data (int16; None "
         "without 'image_bg')",
         NULL},
        {"labels", (getter)Slot_get_labels, NULL,
         "numpy view on the labeling data (uint16)", NULL},
        {"mask", (getter)Slot_get_mask, NULL,
         "numpy view on the boolean, unlabeled mask data", NULL},
        {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef Slot_methods[] = {
        {"acquire_task_lock",
         (PyCFunction)(void (*)(void))Slot_acquire_task_lock,
         METH_VARARGS | METH_KEYWORDS,
         "acquire_task_lock(req_state, batch_size=None) -> (start, stop)\n\n"
         "Acquire the lock for performing a task: the first contiguous run "
         "of frames neither reserved nor done, at most batch_size long "
         "(None: up to the next used frame).  (0, 0) if the slot is not in "
         "req_state or no frame is free."},
        {"release_task_lock",
         (PyCFunction)(void (*)(void))Slot_release_task_lock,
         METH_VARARGS | METH_KEYWORDS,
         "release_task_lock(start, stop, task_done=True)\n\n"
         "Release the task lock for a batch range acquired before; with "
         "task_done the frames count as progress (get_progress)."},
        {"get_progress", (PyCFunction)Slot_get_progress, METH_NOARGS,
         "get_progress() -> float\n\nFraction in [0, 1] of the frames "
         "released with task_done=True in the current state."},
        {NULL, NULL, 0, NULL}};

static PyTypeObject SlotType = {
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dcnumc.ChunkSlotData",
        .tp_basicsize = sizeof(SlotObject),
        .tp_flags = Py_TPFLAGS_DEFAULT,
        .tp_doc = "ChunkSlotData(shape, available_features=None)\n\n"
                  "One chunk of frames in process-shared memory (dcnum's "
                  "ChunkSlotData).  shape is (frames, height, width); "
                  "available_features may name 'image_bg' and 'bg_off'.  "
                  "A slot made before os.fork() (or a multiprocessing "
                  "'fork' Process) is shared by the children.",
        .tp_new = PyType_GenericNew,
        .tp_init = (initproc)Slot_init,
        .tp_dealloc = (destructor)Slot_dealloc,
        .tp_repr = (reprfunc)Slot_repr,
        .tp_getset = Slot_getset,
        .tp_methods = Slot_methods,
};

/* ------------------------------------------------------------------ */
/* _Job                                                               */

typedef struct {
    PyObject_HEAD struct dcn_job job; /* owned */
    int busy;                         /* a run uses the job (GIL) */
} JobObject;

static PyObject *
Job_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    JobObject *self = (JobObject *)type->tp_alloc(type, 0);

    (void)args;
    (void)kwds;
    if (self != NULL)
        dcn_job_init(&self->job);
    return (PyObject *)self;
}

static void
Job_dealloc(JobObject *self)
{
    dcn_job_release(&self->job);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
job_idle(JobObject *self)
{
    if (!self->busy)
        return 0;
    PyErr_SetString(PyExc_RuntimeError, "the job is running");
    return -1;
}

typedef int (*job_text_setter)(struct dcn_job *, const char *,
                               struct dcn_error *);

/* Apply a text setter to the job; a path-like for paths. */
static PyObject *
job_set_text(JobObject *self, PyObject *arg, job_text_setter set, bool path)
{
    struct dcn_error err = DCN_ERROR_INIT;
    PyObject *bytes = NULL;
    const char *text;
    int rc;

    if (job_idle(self) < 0)
        return NULL;
    if (path) {
        if (!PyUnicode_FSConverter(arg, &bytes))
            return NULL;
        text = PyBytes_AS_STRING(bytes);
    } else {
        text = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
        if (text == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "expected a str");
            return NULL;
        }
    }
    rc = set(&self->job, text, &err);
    Py_XDECREF(bytes);
    if (rc < 0)
        return raise_error(&err, rc);
    return none();
}

static PyObject *
Job_set_path_in(JobObject *self, PyObject *arg)
{
    return job_set_text(self, arg, dcn_job_set_path_in, true);
}

static PyObject *
Job_set_path_out(JobObject *self, PyObject *arg)
{
    return job_set_text(self, arg, dcn_job_set_path_out, true);
}

static PyObject *
Job_set_basin_strategy(JobObject *self, PyObject *arg)
{
    return job_set_text(self, arg, dcn_job_set_basin_strategy, false);
}

static PyObject *
Job_set_compression(JobObject *self, PyObject *arg)
{
    return job_set_text(self, arg, dcn_job_set_compression, false);
}

static PyObject *
Job_set_num_procs(JobObject *self, PyObject *arg)
{
    return job_set_text(self, arg, dcn_job_set_num_procs, false);
}

static PyObject *
Job_set_worker_kind(JobObject *self, PyObject *arg)
{
    return job_set_text(self, arg, dcn_job_set_worker_kind, false);
}

static PyObject *
Job_set_code(JobObject *self, PyObject *args)
{
    static const struct {
        const char *name;
        job_text_setter set;
    } codes[] = {{"data", dcn_job_set_data},
                 {"background", dcn_job_set_background},
                 {"segmenter", dcn_job_set_segmenter},
                 {"feature", dcn_job_set_feature},
                 {"gate", dcn_job_set_gate}};
    const char *which = NULL;
    PyObject *code = NULL;

    if (!PyArg_ParseTuple(args, "sU", &which, &code))
        return NULL;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (strcmp(which, codes[i].name) == 0)
            return job_set_text(self, code, codes[i].set, false);
    PyErr_Format(PyExc_ValueError, "unknown component '%s'", which);
    return NULL;
}

static PyObject *
Job_set_kw(JobObject *self, PyObject *args)
{
    struct dcn_error err = DCN_ERROR_INIT;
    const char *text = NULL;
    int group = 0;
    int rc;

    if (!PyArg_ParseTuple(args, "is", &group, &text))
        return NULL;
    if (job_idle(self) < 0)
        return NULL;
    if (group < 0 || group >= DCN_KW_NGROUPS) {
        PyErr_Format(PyExc_ValueError, "unknown keyword group %d", group);
        return NULL;
    }
    rc = dcn_job_set_kw(&self->job, (enum dcn_kw_group)group, text, &err);
    if (rc < 0)
        return raise_error(&err, rc);
    return none();
}

static PyObject *
Job_set_debug(JobObject *self, PyObject *arg)
{
    int v = PyObject_IsTrue(arg);

    if (v < 0 || job_idle(self) < 0)
        return NULL;
    self->job.debug = v != 0;
    return none();
}

static PyObject *
Job_check(JobObject *self, PyObject *unused)
{
    struct dcn_error err = DCN_ERROR_INIT;
    int rc = dcn_job_check(&self->job, &err);

    (void)unused;
    if (rc < 0)
        return raise_error(&err, rc);
    return none();
}

static PyObject *
Job_output_path(JobObject *self, PyObject *unused)
{
    struct dcn_error err = DCN_ERROR_INIT;
    char *out = NULL;
    int rc = dcn_job_output_path(&out, &self->job, &err);
    PyObject *res;

    (void)unused;
    if (rc < 0)
        return raise_error(&err, rc);
    res = PyUnicode_DecodeFSDefault(out);
    dcn_free_string(out);
    return res;
}

static PyObject *
Job_temp_path(JobObject *self, PyObject *arg)
{
    struct dcn_error err = DCN_ERROR_INIT;
    long pid = PyLong_AsLong(arg);
    char *out = NULL;
    PyObject *res;
    int rc;

    if (pid == -1 && PyErr_Occurred())
        return NULL;
    rc = dcn_run_temp_path(&out, &self->job, pid, &err);
    if (rc < 0)
        return raise_error(&err, rc);
    res = PyUnicode_DecodeFSDefault(out);
    dcn_free_string(out);
    return res;
}

static PyMethodDef Job_methods[] = {
        {"set_path_in", (PyCFunction)Job_set_path_in, METH_O, NULL},
        {"set_path_out", (PyCFunction)Job_set_path_out, METH_O, NULL},
        {"set_code", (PyCFunction)Job_set_code, METH_VARARGS,
         "set_code(component, code)"},
        {"set_kw", (PyCFunction)Job_set_kw, METH_VARARGS,
         "set_kw(group, 'key=value')"},
        {"set_basin_strategy", (PyCFunction)Job_set_basin_strategy, METH_O,
         NULL},
        {"set_compression", (PyCFunction)Job_set_compression, METH_O, NULL},
        {"set_num_procs", (PyCFunction)Job_set_num_procs, METH_O, NULL},
        {"set_worker_kind", (PyCFunction)Job_set_worker_kind, METH_O, NULL},
        {"set_debug", (PyCFunction)Job_set_debug, METH_O, NULL},
        {"check", (PyCFunction)Job_check, METH_NOARGS, NULL},
        {"output_path", (PyCFunction)Job_output_path, METH_NOARGS, NULL},
        {"temp_path", (PyCFunction)Job_temp_path, METH_O,
         "temp_path(pid): the temporary output of a run in process pid"},
        {NULL, NULL, 0, NULL}};

static PyTypeObject JobType = {
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dcnumc._dcnumc._Job",
        .tp_basicsize = sizeof(JobObject),
        .tp_flags = Py_TPFLAGS_DEFAULT,
        .tp_doc = "The C job (struct dcn_job); use dcnumc.DCNumPipelineJob.",
        .tp_new = Job_new,
        .tp_dealloc = (destructor)Job_dealloc,
        .tp_methods = Job_methods,
};

/* ------------------------------------------------------------------ */
/* _RunState and _run()                                               */

typedef struct {
    PyObject_HEAD pthread_mutex_t lock;
    /* guarded by lock: the last progress report */
    char phase[32];
    unsigned long long frames;
    unsigned long long frames_done;
    unsigned long long events;
    double seconds;
    unsigned long reports;
    /* Written by cancel() from any thread, polled by the run. */
    volatile sig_atomic_t cancel;
    int running; /* a run uses this state (GIL) */
} RunStateObject;

static PyObject *
RunState_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    RunStateObject *self = (RunStateObject *)type->tp_alloc(type, 0);

    (void)args;
    (void)kwds;
    if (self == NULL)
        return NULL;
    if (pthread_mutex_init(&self->lock, NULL) != 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static void
RunState_dealloc(RunStateObject *self)
{
    pthread_mutex_destroy(&self->lock);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
RunState_do_cancel(RunStateObject *self, PyObject *unused)
{
    (void)unused;
    self->cancel = 1;
    return none();
}

static PyObject *
RunState_snapshot(RunStateObject *self, PyObject *unused)
{
    char phase[32];
    unsigned long long frames, done, events;
    unsigned long reports;
    double seconds;

    (void)unused;
    pthread_mutex_lock(&self->lock);
    memcpy(phase, self->phase, sizeof(phase));
    frames = self->frames;
    done = self->frames_done;
    events = self->events;
    seconds = self->seconds;
    reports = self->reports;
    pthread_mutex_unlock(&self->lock);
    return Py_BuildValue("{s:s,s:K,s:K,s:K,s:d,s:k,s:O}", "phase", phase,
                         "frames", frames, "frames_done", done, "events",
                         events, "seconds", seconds, "reports", reports,
                         "cancelled", self->cancel ? Py_True : Py_False);
}

static PyMethodDef RunState_methods[] = {
        {"cancel", (PyCFunction)RunState_do_cancel, METH_NOARGS,
         "Ask the run to stop (it raises JobCancelledError)."},
        {"snapshot", (PyCFunction)RunState_snapshot, METH_NOARGS,
         "The last progress report as a dict."},
        {NULL, NULL, 0, NULL}};

static PyTypeObject RunStateType = {
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "dcnumc._dcnumc._RunState",
        .tp_basicsize = sizeof(RunStateObject),
        .tp_flags = Py_TPFLAGS_DEFAULT,
        .tp_doc = "Progress and cancellation of one run.",
        .tp_new = RunState_new,
        .tp_dealloc = (destructor)RunState_dealloc,
        .tp_methods = RunState_methods,
};

/* Progress callback: runs in the thread of dcn_run(), without the GIL. */
static void
on_progress(const struct dcn_run_progress *p, void *user)
{
    RunStateObject *st = user;

    pthread_mutex_lock(&st->lock);
    (void)snprintf(st->phase, sizeof(st->phase), "%s", p->phase);
    st->frames = (unsigned long long)p->frames;
    st->frames_done = (unsigned long long)p->frames_done;
    st->events = (unsigned long long)p->events;
    st->seconds = p->seconds;
    st->reports++;
    pthread_mutex_unlock(&st->lock);
}

static PyObject *
result_dict(const struct dcn_run_result *res)
{
    return Py_BuildValue("{s:K,s:K,s:K,s:d,s:O,s:O&,s:s,s:s}", "frames",
                         (unsigned long long)res->frames, "events",
                         (unsigned long long)res->events, "masks_dropped",
                         (unsigned long long)res->masks_dropped, "seconds",
                         res->seconds, "skipped",
                         res->skipped ? Py_True : Py_False, "output",
                         PyUnicode_DecodeFSDefault, res->output, "ppid",
                         res->ppid, "hash", res->hash);
}

static PyObject *
run_job(PyObject *module, PyObject *args, PyObject *kwds)
{
    PyThreadState *ts;
    static char kw_job[] = "job";
    static char kw_state[] = "state";
    static char kw_dry_run[] = "dry_run";
    static char kw_force[] = "force";
    static char *kwlist[] = {kw_job, kw_state, kw_dry_run, kw_force, NULL};
    struct dcn_run_options opts = DCN_RUN_OPTIONS_INIT;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_run_result res;
    JobObject *job = NULL;
    RunStateObject *st = NULL;
    int dry = 0;
    int force = 0;
    int rc;

    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!|pp", kwlist, &JobType,
                                     &job, &RunStateType, &st, &dry, &force))
        return NULL;
    if (job_idle(job) < 0)
        return NULL;
    if (st->running) {
        PyErr_SetString(PyExc_RuntimeError, "the run state is in use");
        return NULL;
    }
    opts.progress = on_progress;
    opts.progress_user = st;
    opts.progress_interval = 0.1;
    opts.cancel = &st->cancel;
    opts.dry_run = dry != 0;
    opts.force = force != 0;
    memset(&res, 0, sizeof(res));
    job->busy = 1;
    st->running = 1;
    Py_INCREF(job);
    Py_INCREF(st);
    ts = PyEval_SaveThread();
    rc = dcn_run(&job->job, &opts, &res, &err);
    PyEval_RestoreThread(ts);
    job->busy = 0;
    st->running = 0;
    Py_DECREF(job);
    Py_DECREF(st);
    if (rc < 0)
        return raise_error(&err, rc);
    return result_dict(&res);
}

static PyObject *
pipeline_hash(PyObject *module, PyObject *args)
{
    const char *ids[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    char hash[33];

    (void)module;
    if (!PyArg_ParseTuple(args, "ssssss", &ids[0], &ids[1], &ids[2], &ids[3],
                          &ids[4], &ids[5]))
        return NULL;
    dcn_pipeline_hash(hash, ids);
    return PyUnicode_FromString(hash);
}

static PyObject *
input_pixel_size(PyObject *module, PyObject *arg)
{
    PyThreadState *ts;
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_rtdc_info info;
    PyObject *bytes = NULL;
    double ps = 0;
    int rc;

    (void)module;
    if (!PyUnicode_FSConverter(arg, &bytes))
        return NULL;
    memset(&info, 0, sizeof(info));
    ts = PyEval_SaveThread();
    rc = dcn_rtdc_info_read(&info, PyBytes_AS_STRING(bytes), &err);
    PyEval_RestoreThread(ts);
    ps = info.pixel_size;
    dcn_rtdc_info_release(&info);
    Py_DECREF(bytes);
    if (rc < 0)
        return raise_error(&err, rc);
    return PyFloat_FromDouble(ps);
}

static PyMethodDef module_methods[] = {
        {"_input_pixel_size", (PyCFunction)input_pixel_size, METH_O,
         "_input_pixel_size(path) -> float\n\n"
         "The input's pixel size rounded as dcnum's HDF5Data (0: none)."},
        {"_run", (PyCFunction)(void (*)(void))run_job,
         METH_VARARGS | METH_KEYWORDS,
         "_run(job, state, dry_run=False, force=False) -> dict\n\n"
         "dcn_run() of the job without the GIL."},
        {"pipeline_hash", (PyCFunction)pipeline_hash, METH_VARARGS,
         "pipeline_hash(gen, dat, bg, seg, feat, gate) -> str\n\n"
         "dcnum's compute_pipeline_hash: md5 of the joined identifiers."},
        {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
        PyModuleDef_HEAD_INIT,
        "dcnumc._dcnumc",
        "The C extension of dcnumc (see the dcnumc package).",
        -1,
        module_methods,
        NULL,
        NULL,
        NULL,
        NULL};

static int
add_type(PyObject *m, PyTypeObject *type, const char *name)
{
    if (PyType_Ready(type) < 0)
        return -1;
    Py_INCREF(type);
    if (PyModule_AddObject(m, name, (PyObject *)type) < 0) {
        Py_DECREF(type);
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC PyInit__dcnumc(void);

PyMODINIT_FUNC
PyInit__dcnumc(void)
{
    PyObject *m;

    import_array();
    m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    if (add_type(m, &SlotType, "ChunkSlotData") < 0 ||
        add_type(m, &JobType, "_Job") < 0 ||
        add_type(m, &RunStateType, "_RunState") < 0 ||
        PyModule_AddStringConstant(m, "version", dcn_version()) < 0 ||
        PyModule_AddStringConstant(m, "pipeline_generation",
                                   DCN_PIPELINE_GENERATION) < 0 ||
        PyModule_AddIntConstant(m, "KW_DATA", DCN_KW_DATA) < 0 ||
        PyModule_AddIntConstant(m, "KW_BACKGROUND", DCN_KW_BACKGROUND) < 0 ||
        PyModule_AddIntConstant(m, "KW_SEGMENTER", DCN_KW_SEGMENTER) < 0 ||
        PyModule_AddIntConstant(m, "KW_MASK", DCN_KW_MASK) < 0 ||
        PyModule_AddIntConstant(m, "KW_FEATURE", DCN_KW_FEATURE) < 0 ||
        PyModule_AddIntConstant(m, "KW_GATE", DCN_KW_GATE) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
