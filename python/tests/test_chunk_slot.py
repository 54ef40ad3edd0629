"""dcnumc.ChunkSlotData: the seed's API (seed-chunk-slot-data.md), one
behaviour at a time, and sharing with forked processes."""
import gc
import multiprocessing as mp
import os
import time

import numpy as np
import pytest

import dcnumc


SHAPE = (10, 4, 6)


def test_shape_and_length():
    slot = dcnumc.ChunkSlotData(SHAPE)
    assert slot.shape == SHAPE
    assert slot.length == 10
    # any sequence of three ints
    assert dcnumc.ChunkSlotData([3, 2, 5]).shape == (3, 2, 5)


def test_bad_shape():
    with pytest.raises(ValueError):
        dcnumc.ChunkSlotData((10, 4))
    with pytest.raises(ValueError):
        dcnumc.ChunkSlotData((10, -1, 4))
    with pytest.raises(TypeError):
        dcnumc.ChunkSlotData(5)


def test_constructor_leaves_state_i_and_chunk_minus_one():
    slot = dcnumc.ChunkSlotData(SHAPE)
    assert slot.state == "i"
    assert slot.chunk == -1


def test_chunk_setter():
    slot = dcnumc.ChunkSlotData(SHAPE)
    slot.chunk = 17
    assert slot.chunk == 17
    slot.chunk = 0
    assert slot.chunk == 0


@pytest.mark.parametrize("state", list("0ismlewdn"))
def test_state_setter_accepts_the_nine_letters(state):
    slot = dcnumc.ChunkSlotData(SHAPE)
    slot.state = state
    assert slot.state == state


@pytest.mark.parametrize("state", ["x", "", "is", "I"])
def test_state_setter_rejects_other_values(state):
    slot = dcnumc.ChunkSlotData(SHAPE)
    with pytest.raises(ValueError, match="invalid state"):
        slot.state = state
    assert slot.state == "i"


def test_views_dtypes_and_shapes():
    slot = dcnumc.ChunkSlotData(SHAPE, available_features=["image_bg",
                                                           "bg_off"])
    assert slot.image.dtype == np.uint8 and slot.image.shape == SHAPE
    assert slot.image_bg.dtype == np.uint8 and slot.image_bg.shape == SHAPE
    assert slot.image_corr.dtype == np.int16
    assert slot.image_corr.shape == SHAPE
    assert slot.mask.dtype == np.bool_ and slot.mask.shape == SHAPE
    assert slot.labels.dtype == np.uint16 and slot.labels.shape == SHAPE
    assert slot.bg_off.dtype == np.float64 and slot.bg_off.shape == (10,)


def test_optional_views_are_none_without_their_feature():
    slot = dcnumc.ChunkSlotData(SHAPE)
    assert slot.image_bg is None
    assert slot.image_corr is None
    assert slot.bg_off is None
    slot = dcnumc.ChunkSlotData(SHAPE, available_features=["bg_off"])
    assert slot.image_bg is None and slot.bg_off is not None
    slot = dcnumc.ChunkSlotData(SHAPE, available_features=["image_bg"])
    assert slot.image_bg is not None and slot.bg_off is None


def test_views_are_zero_copy():
    slot = dcnumc.ChunkSlotData(SHAPE, available_features=["image_bg",
                                                           "bg_off"])
    for name in ["image", "image_bg", "image_corr", "mask", "labels",
                 "bg_off"]:
        a = getattr(slot, name)
        b = getattr(slot, name)
        assert a.flags.writeable and a.flags.c_contiguous
        assert np.shares_memory(a, b), name
        a.flat[-1] = 1
        assert b.flat[-1] == 1, name
    # the arrays do not overlap each other
    assert not np.shares_memory(slot.image, slot.image_bg)
    assert not np.shares_memory(slot.mask, slot.labels)


def test_a_view_keeps_the_slot_alive():
    slot = dcnumc.ChunkSlotData(SHAPE)
    labels = slot.labels
    labels[:] = 7
    del slot
    gc.collect()
    assert labels.sum() == 7 * np.prod(SHAPE)
    assert isinstance(labels.base, dcnumc.ChunkSlotData)


def test_memory_starts_zeroed():
    slot = dcnumc.ChunkSlotData(SHAPE, available_features=["image_bg"])
    assert not slot.image.any() and not slot.mask.any()
    assert not slot.labels.any() and not slot.image_corr.any()


def test_acquire_wrong_state_gives_zero_zero():
    slot = dcnumc.ChunkSlotData(SHAPE)
    assert slot.acquire_task_lock("s") == (0, 0)
    assert slot.acquire_task_lock("s", batch_size=3) == (0, 0)


def test_acquire_without_batch_size_takes_the_rest():
    slot = dcnumc.ChunkSlotData(SHAPE)
    assert slot.acquire_task_lock("i") == (0, 10)
    assert slot.acquire_task_lock("i") == (0, 0)


def test_acquire_batches_are_contiguous_and_limited():
    slot = dcnumc.ChunkSlotData(SHAPE)
    assert slot.acquire_task_lock("i", batch_size=4) == (0, 4)
    assert slot.acquire_task_lock("i", batch_size=4) == (4, 8)
    assert slot.acquire_task_lock("i", batch_size=4) == (8, 10)
    assert slot.acquire_task_lock("i", batch_size=4) == (0, 0)


def test_acquire_stops_at_the_next_used_frame():
    slot = dcnumc.ChunkSlotData(SHAPE)
    assert slot.acquire_task_lock("i", 3) == (0, 3)
    assert slot.acquire_task_lock("i", 3) == (3, 6)
    slot.release_task_lock(0, 3, task_done=False)
    # frames 0..2 are free again, 3..5 still reserved
    assert slot.acquire_task_lock("i") == (0, 3)
    assert slot.acquire_task_lock("i") == (6, 10)


def test_done_frames_are_not_handed_out_again():
    slot = dcnumc.ChunkSlotData(SHAPE)
    assert slot.acquire_task_lock("i", 5) == (0, 5)
    slot.release_task_lock(0, 5)
    assert slot.acquire_task_lock("i") == (5, 10)
    slot.release_task_lock(5, 10)
    assert slot.acquire_task_lock("i") == (0, 0)


def test_bad_batch_size():
    slot = dcnumc.ChunkSlotData(SHAPE)
    with pytest.raises(ValueError):
        slot.acquire_task_lock("i", batch_size=0)
    with pytest.raises(ValueError, match="invalid state"):
        slot.acquire_task_lock("q")


def test_release_counts_progress_only_when_done():
    slot = dcnumc.ChunkSlotData(SHAPE)
    assert slot.get_progress() == 0.0
    start, stop = slot.acquire_task_lock("i", batch_size=4)
    slot.release_task_lock(start, stop, task_done=False)
    assert slot.get_progress() == 0.0
    start, stop = slot.acquire_task_lock("i", batch_size=4)
    slot.release_task_lock(start, stop)
    assert slot.get_progress() == pytest.approx(0.4)
    start, stop = slot.acquire_task_lock("i")
    slot.release_task_lock(start, stop, True)
    assert slot.get_progress() == 1.0


def test_release_outside_the_slot_is_an_error():
    slot = dcnumc.ChunkSlotData(SHAPE)
    with pytest.raises(ValueError):
        slot.release_task_lock(5, 11)
    with pytest.raises(ValueError):
        slot.release_task_lock(-1, 2)


def test_new_state_resets_progress_same_state_keeps_it():
    slot = dcnumc.ChunkSlotData(SHAPE)
    slot.release_task_lock(*slot.acquire_task_lock("i", 5))
    slot.state = "i"
    assert slot.get_progress() == 0.5
    slot.state = "s"
    assert slot.get_progress() == 0.0
    # the frames are available in the new state
    assert slot.acquire_task_lock("s") == (0, 10)


def test_empty_slot():
    slot = dcnumc.ChunkSlotData((0, 4, 6))
    assert slot.length == 0
    assert slot.acquire_task_lock("i") == (0, 0)
    # dcnum divides by zero here; dcnumc reports an empty slot as done
    assert slot.get_progress() == 1.0


def test_not_picklable():
    import pickle
    with pytest.raises(TypeError):
        pickle.dumps(dcnumc.ChunkSlotData(SHAPE))


# --- fork sharing -------------------------------------------------------

def _claim_batches(slot, worker, queue):
    """Claim batches of state 's' until none is left; mark the frames."""
    claimed = []
    while True:
        start, stop = slot.acquire_task_lock("s", batch_size=2)
        if start == stop:
            break
        # the frames belong to this worker until released
        slot.labels[start:stop] = worker
        slot.mask[start:stop] = True
        time.sleep(0.02)  # let the other worker in
        claimed.append((start, stop))
        slot.release_task_lock(start, stop)
    queue.put((worker, os.getpid(), claimed))


def test_two_forked_processes_claim_batches():
    ctx = mp.get_context("fork")
    slot = dcnumc.ChunkSlotData((40, 3, 3))
    slot.state = "s"
    queue = ctx.Queue()
    procs = [ctx.Process(target=_claim_batches, args=(slot, w, queue))
             for w in (1, 2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    pids = {pid for _, pid, _ in results}
    assert os.getpid() not in pids and len(pids) == 2
    frames = []
    for worker, _, claimed in results:
        assert claimed, f"worker {worker} got no batch"
        for start, stop in claimed:
            assert 0 < stop - start <= 2
            frames.extend(range(start, stop))
            # the children's writes are visible in the parent
            assert (slot.labels[start:stop] == worker).all()
    # every frame was claimed exactly once
    assert sorted(frames) == list(range(40))
    assert slot.mask.all()
    assert slot.get_progress() == 1.0
    assert slot.acquire_task_lock("s") == (0, 0)


def test_os_fork_child_writes_parent_reads():
    slot = dcnumc.ChunkSlotData(SHAPE, available_features=["bg_off"])
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            slot.image[3] = 200
            slot.bg_off[3] = 1.5
            slot.chunk = 4
            slot.state = "e"
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert (slot.image[3] == 200).all() and slot.image[2].sum() == 0
    assert slot.bg_off[3] == 1.5
    assert slot.chunk == 4 and slot.state == "e"


def test_child_dropping_the_slot_leaves_the_parent_working():
    slot = dcnumc.ChunkSlotData(SHAPE)
    pid = os.fork()
    if pid == 0:  # child: the slot object is freed here
        code = 1
        try:
            start, stop = slot.acquire_task_lock("i", 3)
            slot.release_task_lock(start, stop)
            del slot
            gc.collect()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # the lock still works and the child's progress is there
    assert slot.get_progress() == pytest.approx(0.3)
    assert slot.acquire_task_lock("i") == (3, 10)


# --- the package's surface ----------------------------------------------

def test_version_is_the_c_librarys():
    assert dcnumc.version == "0.1.0"
    assert dcnumc.pipeline_generation == "13"


def test_type_hints_match_the_package():
    """Every name and member of __init__.pyi exists, with a docstring."""
    import ast
    import pathlib
    stub = pathlib.Path(dcnumc.__file__).with_name("__init__.pyi")
    tree = ast.parse(stub.read_text())
    names = 0
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            cls = getattr(dcnumc, node.name)
            assert cls.__doc__, node.name
            for item in node.body:
                name = getattr(item, "name", None) or getattr(
                    getattr(item, "target", None), "id", None)
                if name is None or name.startswith("__"):
                    continue
                if isinstance(item, ast.FunctionDef):
                    member = getattr(cls, name)
                    assert member.__doc__, f"{node.name}.{name}"
                elif cls in (dcnumc.ChunkSlotData,):
                    assert hasattr(cls, name), f"{node.name}.{name}"
                names += 1
        elif isinstance(node, (ast.AnnAssign, ast.FunctionDef)):
            name = getattr(node, "name", None) or node.target.id
            assert hasattr(dcnumc, name), name
            names += 1
    assert names > 30
