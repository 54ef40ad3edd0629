/* SPDX-License-Identifier: MIT */
/*
 * test_slot_register.c - the rules of the slot register (style.md §5.2):
 * remainder slot sizing, chunk assignment, lowest-chunk-first, the
 * StateWarden transition, failed tasks, recycling, pause/quit, errors,
 * and a worker process killed while it waits.
 */
#define _DEFAULT_SOURCE /* SYS_gettid, SYS_futex */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "slot_register.h"

static struct dcn_slot_register *
make_register(size_t nslots, size_t chunk, size_t nframes)
{
    struct dcn_register_config cfg = {nslots, chunk, nframes, 2, 3, 0, 0, 0};
    struct dcn_slot_register *reg = NULL;

    CHECK_EQ(dcn__slot_register_new(&reg, &cfg, NULL), DCN_OK);
    return reg;
}

/* Run every frame of slot s through state `state` in one task. */
static void
complete_state(struct dcn_slot_register *reg, size_t s,
               enum dcn_slot_state state)
{
    struct dcn_task task;

    CHECK_EQ(dcn__slot_register_reserve_slot(reg, s, state, DCN_BATCH_ALL,
                                             &task),
             1);
    CHECK_EQ(dcn__slot_register_finish(reg, &task, true), DCN_OK);
}

static void
test_remainder_slot_takes_the_short_last_chunk(void)
{
    struct dcn_slot_register *reg = make_register(2, 4, 10);
    size_t last = dcn__slot_register_nslots(reg) - 1;

    CHECK_EQ(dcn__slot_register_nslots(reg), 3);
    CHECK_EQ(dcn__slot_register_nchunks(reg), 3);
    CHECK(dcn__slot_register_is_remainder(reg, last));
    CHECK(!dcn__slot_register_is_remainder(reg, 0));
    CHECK_EQ(dcn_chunk_slot_length(dcn__slot_register_slot(reg, 0)), 4);
    CHECK_EQ(dcn_chunk_slot_length(dcn__slot_register_slot(reg, last)), 2);
    dcn__slot_register_free(reg);
}

static void
test_short_last_chunk_starts_after_the_full_ones(void)
{
    struct dcn_slot_register *reg = make_register(2, 4, 10);

    CHECK_EQ(dcn__slot_register_chunk_length(reg, 2), 2);
    CHECK_EQ(dcn__slot_register_chunk_start(reg, 2), 8);
    CHECK_EQ(dcn__slot_register_nevents(reg)[9], -1);
    dcn__slot_register_free(reg);
}

static void
test_chunk_count_that_divides_evenly(void)
{
    struct dcn_slot_register *reg = make_register(2, 4, 8);

    CHECK_EQ(dcn__slot_register_nchunks(reg), 2);
    CHECK_EQ(dcn_chunk_slot_length(dcn__slot_register_slot(reg, 2)), 4);
    dcn__slot_register_free(reg);
}

static void
test_zero_length_remainder_for_empty_measurement(void)
{
    struct dcn_slot_register *reg = make_register(3, 4, 0);
    size_t slot;
    int64_t chunk;

    CHECK_EQ(dcn__slot_register_nchunks(reg), 0);
    CHECK_EQ(dcn_chunk_slot_length(dcn__slot_register_slot(reg, 3)), 0);
    CHECK_EQ(dcn__slot_register_begin_load(reg, &slot, &chunk), 0);
    dcn__slot_register_free(reg);
}

static void
test_one_chunk_uses_only_the_remainder_slot(void)
{
    struct dcn_slot_register *reg = make_register(3, 10, 7);
    size_t slot = 99;
    int64_t chunk = -5;

    CHECK_EQ(dcn_chunk_slot_length(dcn__slot_register_slot(reg, 0)), 0);
    CHECK_EQ(dcn__slot_register_begin_load(reg, &slot, &chunk), 1);
    CHECK_EQ(slot, 3);
    CHECK_EQ(chunk, 0);
    CHECK_EQ(dcn_chunk_slot_chunk(dcn__slot_register_slot(reg, 3)), 0);
    CHECK_EQ(dcn__slot_register_begin_load(reg, &slot, &chunk), 0);
    dcn__slot_register_free(reg);
}

/* After the fetch of the first chunk into slot, its frames can be loaded. */
static void
check_fetched_slot_gives_load_task(struct dcn_slot_register *reg, size_t slot)
{
    struct dcn_task task;

    CHECK_EQ(dcn__slot_register_counter(reg, DCN_COUNTER_CHUNKS_LOADED), 1);
    CHECK_EQ(dcn__slot_register_reserve(reg, DCN_STATE_LOAD, 2, &task), 1);
    CHECK_EQ(task.slot, slot);
    CHECK_EQ(task.start, 0);
    CHECK_EQ(task.stop, 2);
}

static void
test_unfetched_slot_gives_no_load_task(void)
{
    struct dcn_slot_register *reg = make_register(1, 4, 8);
    struct dcn_task task;
    size_t slot;
    int64_t chunk;

    CHECK_EQ(dcn__slot_register_reserve(reg, DCN_STATE_LOAD, 2, &task), 0);
    CHECK_EQ(dcn__slot_register_begin_load(reg, &slot, &chunk), 1);
    CHECK_EQ(dcn__slot_register_reserve(reg, DCN_STATE_LOAD, 2, &task), 0);
    CHECK(!dcn__slot_register_is_fetched(reg, slot));
    CHECK_EQ(dcn__slot_register_end_fetch(reg, slot), DCN_OK);
    check_fetched_slot_gives_load_task(reg, slot);
    dcn__slot_register_free(reg);
}

/* Begin and fetch chunks 0, 1, 2 (in that order) into slots[0..2]. */
static void
load_three_chunks(struct dcn_slot_register *reg, size_t slots[3])
{
    int64_t chunk;

    for (int k = 0; k < 3; k++) {
        CHECK_EQ(dcn__slot_register_begin_load(reg, &slots[k], &chunk), 1);
        CHECK_EQ(chunk, k);
        dcn__slot_register_end_fetch(reg, slots[k]);
    }
}

/* A failed task does not count: the slot of chunk 0 stays in 's'. */
static void
check_failed_segment_task_keeps_state(struct dcn_slot_register *reg,
                                      size_t slot0)
{
    struct dcn_task task;

    CHECK_EQ(dcn__slot_register_reserve(reg, DCN_STATE_SEGMENT, 1, &task), 1);
    CHECK_EQ(task.slot, slot0);
    CHECK_EQ(dcn__slot_register_finish(reg, &task, false), DCN_OK);
    CHECK_EQ(dcn_chunk_slot_state(dcn__slot_register_slot(reg, slot0)), 's');
}

/* A task over all frames of the slot of chunk 0 moves it on to 'm'. */
static void
check_whole_segment_task_advances_state(struct dcn_slot_register *reg,
                                        size_t slot0)
{
    struct dcn_task task;

    CHECK_EQ(dcn__slot_register_reserve(reg, DCN_STATE_SEGMENT, 5, &task), 1);
    CHECK_EQ(task.start, 0);
    CHECK_EQ(task.stop, 2);
    CHECK_EQ(dcn__slot_register_finish(reg, &task, true), DCN_OK);
    CHECK_EQ(dcn_chunk_slot_state(dcn__slot_register_slot(reg, slot0)), 'm');
}

static void
test_lowest_chunk_first_and_state_warden(void)
{
    struct dcn_slot_register *reg = make_register(3, 2, 20);
    struct dcn_task task;
    size_t slots[3];

    load_three_chunks(reg, slots);
    /* Move chunks 2 and 0 to 's' (in that order); 's' work goes to
     * chunk 0 first. */
    complete_state(reg, slots[2], DCN_STATE_LOAD);
    complete_state(reg, slots[0], DCN_STATE_LOAD);
    CHECK_EQ(dcn__slot_register_find_slot(reg, DCN_STATE_SEGMENT, -1),
             (int)slots[0]);
    CHECK_EQ(dcn__slot_register_find_slot(reg, DCN_STATE_SEGMENT, 2),
             (int)slots[2]);
    CHECK_EQ(dcn__slot_register_find_slot(reg, DCN_STATE_LABEL, -1), -1);
    check_failed_segment_task_keeps_state(reg, slots[0]);
    check_whole_segment_task_advances_state(reg, slots[0]);
    /* The slot of chunk 0 being busy, the next 's' task is chunk 2's. */
    CHECK_EQ(dcn__slot_register_reserve(reg, DCN_STATE_SEGMENT, 5, &task), 1);
    CHECK_EQ(task.slot, slots[2]);
    dcn__slot_register_free(reg);
}

/* Load chunk k, expecting it in slot expect_slot, and run it through
 * every state of the cycle. */
static void
run_chunk_through_cycle(struct dcn_slot_register *reg, int64_t k,
                        size_t expect_slot)
{
    static const char cycle[] = "ismlew";
    size_t slot;
    int64_t chunk;

    CHECK_EQ(dcn__slot_register_begin_load(reg, &slot, &chunk), 1);
    CHECK_EQ(chunk, k);
    CHECK_EQ(slot, expect_slot);
    dcn__slot_register_end_fetch(reg, slot);
    for (int s = 0; cycle[s] != '\0'; s++)
        complete_state(reg, slot, (enum dcn_slot_state)cycle[s]);
}

static void
test_full_cycle_recycles_and_ends_in_done(void)
{
    struct dcn_slot_register *reg = make_register(1, 3, 7);
    const size_t expect_slot[3] = {0, 0, 1};
    size_t slot;
    int64_t chunk;

    for (int64_t k = 0; k < 3; k++)
        run_chunk_through_cycle(reg, k, expect_slot[k]);
    CHECK_EQ(dcn__slot_register_begin_load(reg, &slot, &chunk), 0);
    /* Every slot that held a chunk rests in 'd'. */
    CHECK_EQ(dcn_chunk_slot_state(dcn__slot_register_slot(reg, 0)), 'd');
    CHECK_EQ(dcn_chunk_slot_state(dcn__slot_register_slot(reg, 1)), 'd');
    CHECK_EQ(dcn__slot_register_counter(reg, DCN_COUNTER_CHUNKS_LOADED), 3);
    dcn__slot_register_free(reg);
}

/* A thread waiting on the register, and what its wait returned. */
struct waiter {
    struct dcn_slot_register *reg;
    int rc;
};

static void *
wait_for_chunk_five(void *arg)
{
    struct waiter *w = arg;
    size_t slot;

    w->rc = dcn__slot_register_wait_for(w->reg, 5, 'w', &slot);
    return NULL;
}

/* The first error is the one the register keeps. */
static void
check_first_error_kept(struct dcn_slot_register *reg)
{
    struct dcn_error err = DCN_ERROR_INIT;

    dcn__slot_register_get_error(reg, &err);
    CHECK_EQ(err.code, DCN_EIO);
    CHECK_STR_EQ(err.msg, "x.rtdc: boom");
}

/* After an error the register is in 'q': no more work, and quit is final. */
static void
check_quit_refuses_work_for_good(struct dcn_slot_register *reg)
{
    size_t slot;
    int64_t chunk;
    struct dcn_task task;

    CHECK_EQ(dcn__slot_register_state(reg), 'q');
    CHECK_EQ(dcn__slot_register_begin_load(reg, &slot, &chunk), DCN_ECANCELED);
    CHECK_EQ(dcn__slot_register_reserve(reg, 's', 1, &task), DCN_ECANCELED);
    CHECK_EQ(dcn__slot_register_wait(reg, 0), DCN_ECANCELED);
    /* Quit is final. */
    CHECK_EQ(dcn__slot_register_set_state(reg, DCN_REGISTER_WORK), DCN_OK);
    CHECK_EQ(dcn__slot_register_state(reg), 'q');
}

static void
test_error_stops_the_run_and_wakes_waiters(void)
{
    struct dcn_slot_register *reg = make_register(2, 2, 10);
    struct waiter w = {reg, DCN_OK};
    pthread_t th;

    pthread_create(&th, NULL, wait_for_chunk_five, &w);
    CHECK_EQ(dcn__slot_register_fail(reg, DCN_EIO, "%s: boom", "x.rtdc"),
             DCN_EIO);
    CHECK_EQ(dcn__slot_register_fail(reg, DCN_EINVAL, "later"), DCN_EINVAL);
    pthread_join(th, NULL);
    CHECK_EQ(w.rc, DCN_ECANCELED);
    check_first_error_kept(reg);
    check_quit_refuses_work_for_good(reg);
    dcn__slot_register_free(reg);
}

static void *
wait_while_paused(void *arg)
{
    struct waiter *w = arg;

    w->rc = dcn__slot_register_wait_unpaused(w->reg);
    return NULL;
}

static void
test_pause_blocks_until_work(void)
{
    struct dcn_slot_register *reg = make_register(1, 2, 4);
    struct waiter w = {reg, 1};
    pthread_t th;

    CHECK_EQ(dcn__slot_register_set_state(reg, DCN_REGISTER_PAUSE), DCN_OK);
    pthread_create(&th, NULL, wait_while_paused, &w);
    CHECK_EQ(dcn__slot_register_set_state(reg, DCN_REGISTER_WORK), DCN_OK);
    pthread_join(th, NULL);
    CHECK_EQ(w.rc, DCN_OK);
    CHECK_EQ(dcn__slot_register_set_state(reg, (enum dcn_register_state)'x'),
             DCN_EINVAL);
    /* A timed wait with nothing happening returns after its timeout. */
    CHECK_EQ(dcn__slot_register_wait_timed(reg, dcn__slot_register_epoch(reg),
                                           0.01),
             DCN_OK);
    dcn__slot_register_free(reg);
}

static void
test_counters_timers_and_config_errors(void)
{
    struct dcn_slot_register *reg = make_register(1, 2, 4);
    struct dcn_register_config bad = {0, 2, 4, 2, 2, 0, 0, 0};
    struct dcn_slot_register *none = (void *)1;
    struct dcn_error err = DCN_ERROR_INIT;

    CHECK_EQ(dcn__slot_register_counter_add(reg, DCN_COUNTER_MASKS_DROPPED, 3),
             3);
    CHECK_EQ(dcn__slot_register_counter_add(reg, DCN_COUNTER_MASKS_DROPPED, 2),
             5);
    dcn__slot_register_add_time(reg, DCN_TIMER_EXTRACT, 0.25);
    dcn__slot_register_add_time(reg, DCN_TIMER_EXTRACT, 0.5);
    CHECK(dcn__slot_register_time(reg, DCN_TIMER_EXTRACT) == 0.75);
    CHECK_EQ(dcn__slot_register_new(&none, &bad, &err), DCN_EINVAL);
    CHECK(none == NULL);
    CHECK(err.msg[0] != '\0');
    dcn__slot_register_free(reg);
    dcn__slot_register_free(NULL);
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    (void)nanosleep(&ts, NULL);
}

/*
 * True once the task behind /proc/<path>/syscall sleeps in futex(2): the
 * register's wait (nothing else in these tests blocks on a futex while the
 * register is uncontended).  Polls for up to 60 s, however loaded the
 * machine: the tests wait for the fact, never for a guessed time.
 */
static bool
asleep_in_futex(const char *syscall_path)
{
    for (int i = 0; i < 60000; i++) {
        FILE *f = fopen(syscall_path, "r");
        long nr = -1;

        if (f != NULL) {
            if (fscanf(f, "%ld", &nr) != 1)
                nr = -1;
            (void)fclose(f);
        }
        if (nr == SYS_futex)
            return true;
        sleep_ms(1);
    }
    return false;
}

/* A thread that waits for the register to change after epoch `seen`. */
struct change_waiter {
    struct dcn_slot_register *reg;
    uint64_t seen; /* read by the creator before the thread starts */
    atomic_long tid;
    int rc;
};

static void *
wait_for_next_change(void *arg)
{
    struct change_waiter *w = arg;

    atomic_store(&w->tid, (long)syscall(SYS_gettid));
    w->rc = dcn__slot_register_wait(w->reg, w->seen);
    return NULL;
}

/*
 * One wake-up round: a thread waits on the epoch read *before* it starts
 * (reading it inside the thread raced with the broadcast: on a loaded
 * machine the broadcast came first, and the thread then waited for a
 * change that never came -- issue 12's "hang"); the broadcast follows once
 * the thread is asleep in the futex, so the wake path itself is tested.
 */
static void
wake_one_waiter(struct dcn_slot_register *reg)
{
    struct change_waiter w = {reg, dcn__slot_register_epoch(reg), 0, -1};
    char path[64];
    pthread_t th;

    pthread_create(&th, NULL, wait_for_next_change, &w);
    while (atomic_load(&w.tid) == 0)
        sleep_ms(1);
    (void)snprintf(path, sizeof(path), "/proc/self/task/%ld/syscall",
                   atomic_load(&w.tid));
    CHECK(asleep_in_futex(path));
    dcn__slot_register_broadcast(reg);
    pthread_join(th, NULL);
    CHECK_EQ(w.rc, DCN_OK);
}

/*
 * A worker process killed while it waits on the register must not block
 * later wake-ups.  With glibc's process-shared condition variables it
 * did: the dead waiter's state stayed in the shared memory and the second
 * broadcast after its death waited for it forever (a run that lost a
 * worker hung instead of failing).  The child is killed only once it
 * sleeps in the wait (not while it holds the lock, which would stop the
 * register instead).  alarm() turns a hang into a failure.
 */
static void
test_killed_waiter_blocks_nobody(void)
{
    struct dcn_slot_register *reg = make_register(2, 2, 10);
    char path[64];
    pid_t pid = fork();

    if (pid == 0) {
        (void)dcn__slot_register_wait(reg, dcn__slot_register_epoch(reg));
        _exit(0);
    }
    CHECK(pid > 0);
    (void)snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
    CHECK(asleep_in_futex(path));
    CHECK_EQ(kill(pid, SIGKILL), 0);
    CHECK_EQ(waitpid(pid, NULL, 0), pid);
    alarm(120);
    for (int round = 0; round < 3; round++)
        wake_one_waiter(reg);
    CHECK_EQ(dcn__slot_register_state(reg), 'w');
    CHECK_EQ(dcn__slot_register_wait_timed(reg, dcn__slot_register_epoch(reg),
                                           0.05),
             DCN_OK);
    CHECK_EQ(dcn__slot_register_fail(reg, DCN_EWORKER, "worker died"),
             DCN_EWORKER);
    alarm(0);
    dcn__slot_register_free(reg);
}

/*
 * A worker process that dies inside a chunk slot call leaves the slot's
 * lock to its robust owner-died state.  The register must stop the run
 * with DCN_EWORKER -- not skip the slot and wait for frames that will never
 * be released -- and a writer waiting for the slot must return.  The child
 * takes the slot's lock directly (it is the slot's first member,
 * chunk_slot.c asserts it) and exits holding it.
 */
static void
test_dead_slot_lock_owner_stops_the_run(void)
{
    struct dcn_slot_register *reg = make_register(2, 2, 10);
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_task task;
    size_t slot = 0;
    pid_t pid = fork();

    if (pid == 0) {
        (void)pthread_mutex_lock(
                (pthread_mutex_t *)(void *)dcn__slot_register_slot(reg, 0));
        _exit(0);
    }
    CHECK(pid > 0);
    CHECK_EQ(waitpid(pid, NULL, 0), pid);
    alarm(120);
    CHECK(dcn__slot_register_reserve(reg, DCN_STATE_SEGMENT, 1, &task) < 0);
    CHECK_EQ(dcn__slot_register_state(reg), 'q');
    CHECK(dcn__slot_register_wait_for(reg, 0, DCN_STATE_WRITE, &slot) < 0);
    alarm(0);
    dcn__slot_register_get_error(reg, &err);
    CHECK_EQ(err.code, DCN_EWORKER);
    CHECK(strstr(err.msg, "chunk slot") != NULL);
    dcn__slot_register_free(reg);
}

int
main(void)
{
    test_remainder_slot_takes_the_short_last_chunk();
    test_short_last_chunk_starts_after_the_full_ones();
    test_chunk_count_that_divides_evenly();
    test_zero_length_remainder_for_empty_measurement();
    test_one_chunk_uses_only_the_remainder_slot();
    test_unfetched_slot_gives_no_load_task();
    test_lowest_chunk_first_and_state_warden();
    test_full_cycle_recycles_and_ends_in_done();
    test_error_stops_the_run_and_wakes_waiters();
    test_dead_slot_lock_owner_stops_the_run();
    test_killed_waiter_blocks_nobody();
    test_pause_blocks_until_work();
    test_counters_timers_and_config_errors();
    return check_report();
}
