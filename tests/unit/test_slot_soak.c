/* SPDX-License-Identifier: MIT */
/*
 * test_slot_soak.c - the slot register under adversity, for as long as
 * you like: `test_slot_soak [transitions]` (or DCN_SOAK_TRANSITIONS;
 * DCN_SOAK_SEED picks the rounds).  CI runs a short soak; a long run can
 * push it to millions of transitions.
 *
 * Each round draws a configuration from the seed: worker threads or
 * forked worker processes, 1-8 slots of 1-12 frames, 1-8 workers, 0-3
 * busy processes competing for the CPU, sometimes everything pinned to one
 * CPU with the workers at a low priority (a 100-fold slowdown), workers
 * that stall while holding frames, failing tasks, and -- the point -- a
 * worker process killed at a random moment or a run failed from outside.
 * A complete round must pass the stress test's checks; a stopped round
 * must stop (every thread and process returns), keep its error, and never
 * have run a frame through a state twice.  A hang is a bug, and two
 * watchdogs turn it into a failure with a diagnosis: a round that makes no
 * progress for DCN_SOAK_STALL_SECONDS (default 120) prints the round and
 * the slots' states; a phase of a round (forking, running, joining the
 * workers) that lasts DCN_SOAK_ROUND_SECONDS (default 300) -- a fork, join
 * or waitpid that never returns -- is reported by a watchdog process
 * (hang_dump.h) with every thread's system call and stack.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "hang_dump.h"
#include "slot_harness.h"

#define MAX_WORKERS 8
#define MAX_BUSY    3

struct round {
    unsigned index;
    bool processes;
    size_t nslots, chunk, nchunks;
    int nworkers, nbusy;
    bool pinned;
    int worker_nice;  /* 0: normal priority */
    bool kill_worker; /* processes: SIGKILL one mid-run */
    bool fail_run;    /* threads: fail the run from outside mid-run */
    long stop_after;  /* frames of work before the kill or the failure */
};

struct totals {
    unsigned rounds, thread_rounds, process_rounds, killed, failed;
    long transitions, tasks_failed;
};

static uint64_t
next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static unsigned
pick(uint64_t *rng, unsigned lo, unsigned hi)
{
    return lo + (unsigned)(next_random(rng) % (hi - lo + 1));
}

static long
env_long(const char *name, long fallback)
{
    const char *v = getenv(name); /* NOLINT(concurrency-mt-unsafe) */

    return v != NULL && *v != '\0' ? strtol(v, NULL, 10) : fallback;
}

static struct round
draw_round(uint64_t *rng, unsigned index, long budget)
{
    struct round r = {0};
    long chunks;

    r.index = index;
    r.processes = pick(rng, 0, 1) == 1;
    r.nslots = pick(rng, 1, HARNESS_MAX_SLOTS);
    r.chunk = pick(rng, 1, HARNESS_MAX_CHUNK);
    r.nworkers = (int)pick(rng, 1, MAX_WORKERS);
    r.nbusy = (int)pick(rng, 0, MAX_BUSY);
    r.pinned = pick(rng, 0, 2) == 0;
    r.worker_nice = r.pinned && pick(rng, 0, 1) ? (int)pick(rng, 10, 19) : 0;
    /* A starved round moves slowly: keep it short. */
    chunks = (long)pick(rng, 300, r.worker_nice ? 600 : 3000);
    if (chunks * 7 > budget)
        chunks = budget / 7 + 1;
    r.nchunks = (size_t)chunks;
    r.kill_worker = r.processes && pick(rng, 0, 2) == 0;
    r.fail_run = !r.processes && pick(rng, 0, 3) == 0;
    r.stop_after = (long)(next_random(rng) %
                          (uint64_t)(r.nchunks * r.chunk * 6 * 9 / 10 + 1));
    /* Whatever the seed, the second round kills a worker process and the
     * third fails a run of threads. */
    if (index == 1 || index == 2) {
        r.processes = index == 1;
        r.kill_worker = index == 1;
        r.fail_run = index == 2;
    }
    return r;
}

static void
describe_to(FILE *out, const struct round *r, uint64_t seed)
{
    (void)fprintf(out,
                  "round %u (seed %llu): %s, %zu slots x %zu frames, %zu "
                  "chunks, %d workers, %d busy, %s, nice %d%s%s\n",
                  r->index, (unsigned long long)seed,
                  r->processes ? "processes" : "threads", r->nslots, r->chunk,
                  r->nchunks, r->nworkers, r->nbusy,
                  r->pinned ? "one CPU" : "all CPUs", r->worker_nice,
                  r->kill_worker ? ", kill a worker" : "",
                  r->fail_run ? ", fail the run" : "");
}

static void
describe(const struct round *r, uint64_t seed)
{
    describe_to(stderr, r, seed);
}

/* A child that burns CPU until the round kills it. */
static pid_t
start_busy(void)
{
    pid_t pid = fork();

    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (volatile unsigned long spin = 0;; spin++) {
        }
    }
    return pid;
}

static void
stop_child(pid_t pid)
{
    if (pid > 0) {
        (void)kill(pid, SIGKILL);
        (void)waitpid(pid, NULL, 0);
        hang_dump_remove_pid(pid);
    }
}

static void
lower_priority(int nice_value)
{
    if (nice_value > 0)
        (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice_value);
}

struct worker_arg {
    struct harness *h;
    int nice_value;
};

static void *
nice_worker_thread(void *arg)
{
    const struct worker_arg *a = arg;

    lower_priority(a->nice_value);
    return harness_worker_thread(a->h);
}

static pid_t
start_worker_process(struct harness *h, int me, int nice_value)
{
    pid_t pid = fork();

    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        hang_dump_allow_tracing();
        lower_priority(nice_value);
        harness_worker_loop(h, me);
        _exit(0);
    }
    if (pid > 0)
        hang_dump_add_pid(pid);
    return pid;
}

static void
print_slots(struct harness *h)
{
    for (size_t i = 0; i < dcn__slot_register_nslots(h->reg); i++) {
        struct dcn_slot_status st;

        if (dcn_chunk_slot_status(dcn__slot_register_slot(h->reg, i), &st) ==
            DCN_OK)
            (void)fprintf(stderr, "  slot %zu: state %c chunk %lld done %zu\n",
                          i, st.state, (long long)st.chunk, st.ndone);
    }
}

/* The round made no progress for too long: say where it stood, and end
 * the test (its threads may never return). */
static void
report_hang(struct harness *h, const struct round *r, uint64_t seed)
{
    hang_dump_arm(30, "reporting a stalled round"); /* must not hang */
    (void)fprintf(stderr, "HANG: no progress for %ld s, %ld frames done\n",
                  env_long("DCN_SOAK_STALL_SECONDS", 120),
                  harness_work_done(h));
    describe(r, seed);
    (void)fprintf(stderr, "  register state %c, %ld chunks written\n",
                  (char)dcn__slot_register_state(h->reg),
                  harness_chunks_written(h));
    print_slots(h);
    CHECK(!"the round hung");
    (void)check_report();
    hang_dump_now("no progress in a round");
}

static double
now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Kill a worker process (or fail the run) once enough work is done, as
 * the pipeline's own monitor does when it reaps a dead worker. */
static void
maybe_stop(struct harness *h, const struct round *r, pid_t *pids, bool *done)
{
    pid_t victim;

    if (*done || harness_work_done(h) < r->stop_after)
        return;
    *done = true;
    if (r->fail_run) {
        dcn__slot_register_fail(h->reg, DCN_EIO, "round %u failed", r->index);
        return;
    }
    victim = pids[r->stop_after % r->nworkers];
    stop_child(victim);
    pids[r->stop_after % r->nworkers] = 0;
    dcn__slot_register_fail(h->reg, DCN_EWORKER, "worker %ld was killed",
                            (long)victim);
}

/* Wait for the reader and the writer, watching for progress.  Returns
 * whether the round was stopped on purpose (a small round may end before
 * its stop point comes). */
static bool
watch_round(struct harness *h, const struct round *r, pid_t *pids,
            uint64_t seed)
{
    double stall_limit = (double)env_long("DCN_SOAK_STALL_SECONDS", 120);
    long last = -1;
    double since = now_seconds();
    bool stopped = !(r->kill_worker || r->fail_run);
    struct timespec tick = {0, 2000000L};

    while (!harness_io_done(h)) {
        long work = harness_work_done(h);

        maybe_stop(h, r, pids, &stopped);
        if (work != last) {
            last = work;
            since = now_seconds();
        } else if (now_seconds() - since > stall_limit) {
            report_hang(h, r, seed);
        }
        (void)nanosleep(&tick, NULL);
    }
    harness_io_join(h);
    return (r->kill_worker || r->fail_run) && stopped;
}

static int
start_workers(struct harness *h, const struct round *r, pid_t *pids,
              pthread_t *threads, struct worker_arg *arg)
{
    *arg = (struct worker_arg){h, r->worker_nice};
    for (int i = 0; i < r->nworkers; i++) {
        if (r->processes) {
            pids[i] = start_worker_process(h, 100 + i, r->worker_nice);
            if (pids[i] < 0)
                return -1;
        } else if (pthread_create(&threads[i], NULL, nice_worker_thread, arg) !=
                   0) {
            return -1;
        }
    }
    return 0;
}

static void
join_workers(const struct round *r, pid_t *pids, pthread_t *threads)
{
    for (int i = 0; i < r->nworkers; i++) {
        int status = 0;

        if (!r->processes) {
            pthread_join(threads[i], NULL);
        } else if (pids[i] > 0) {
            CHECK(waitpid(pids[i], &status, 0) == pids[i]);
            CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            hang_dump_remove_pid(pids[i]);
        }
    }
}

static void
check_outcome(struct harness *h, const struct round *r, bool stopped,
              struct totals *t)
{
    struct dcn_error err = DCN_ERROR_INIT;

    dcn__slot_register_get_error(h->reg, &err);
    if (stopped) {
        CHECK_EQ(err.code, r->kill_worker ? DCN_EWORKER : DCN_EIO);
        CHECK_EQ(harness_verify_stopped(h), 0);
        t->killed += r->kill_worker;
        t->failed += r->fail_run;
    } else {
        CHECK_EQ(err.code, DCN_OK);
        CHECK_EQ(harness_verify_complete(h), 0);
    }
    t->transitions += harness_chunks_written(h) * 7;
    t->tasks_failed += harness_tasks_failed(h);
}

static void
pin_to_one_cpu(bool pin, cpu_set_t *saved)
{
    cpu_set_t one;

    if (!pin)
        return;
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, saved)) {
            CPU_SET(c, &one);
            break;
        }
    }
    (void)sched_setaffinity(0, sizeof(one), &one);
}

/* Give the next phase of a round its own deadline (hang_dump.h). */
static void
arm_phase(const struct round *r, const char *phase)
{
    char what[96];

    (void)snprintf(what, sizeof(what), "round %u, %s", r->index, phase);
    hang_dump_arm((unsigned)env_long("DCN_SOAK_ROUND_SECONDS", 300), what);
}

/* Busy processes and worker processes are forked before any thread of the
 * round starts (style.md rule 36). */
static void
run_round(const struct round *r, uint64_t seed, struct totals *t)
{
    struct harness h;
    pid_t busy[MAX_BUSY] = {0};
    pid_t pids[MAX_WORKERS] = {0};
    pthread_t threads[MAX_WORKERS];
    struct worker_arg arg;
    cpu_set_t saved;
    bool stopped;

    arm_phase(r, "setting up and forking");
    CHECK_EQ(sched_getaffinity(0, sizeof(saved), &saved), 0);
    CHECK_EQ(harness_setup(&h, r->nslots, r->chunk,
                           r->nchunks * r->chunk - r->chunk / 2),
             0);
    h.expect_stop = r->kill_worker || r->fail_run;
    h.opts.stall_one_in = 64;
    h.opts.stall_max_us = r->worker_nice ? 200 : 2000;
    pin_to_one_cpu(r->pinned, &saved);
    for (int i = 0; i < r->nbusy; i++)
        busy[i] = start_busy();
    CHECK_EQ(start_workers(&h, r, pids, threads, &arg), 0);
    arm_phase(r, "running");
    harness_io_start(&h);
    stopped = watch_round(&h, r, pids, seed);
    arm_phase(r, "joining the workers");
    join_workers(r, pids, threads);
    arm_phase(r, "stopping the busy processes");
    for (int i = 0; i < r->nbusy; i++)
        stop_child(busy[i]);
    (void)sched_setaffinity(0, sizeof(saved), &saved);
    check_outcome(&h, r, stopped, t);
    t->rounds++;
    t->process_rounds += r->processes;
    t->thread_rounds += !r->processes;
    harness_teardown(&h);
    hang_dump_arm(0, "between rounds");
}

int
main(int argc, char **argv)
{
    long budget = argc > 1 ? strtol(argv[1], NULL, 10)
                           : env_long("DCN_SOAK_TRANSITIONS", 150000);
    uint64_t seed = (uint64_t)env_long("DCN_SOAK_SEED", 20261205);
    uint64_t rng = seed * 2654435761u + 1;
    struct totals t = {0};
    double t0 = now_seconds();

    CHECK_EQ(hang_dump_start(), 0);
    while (t.transitions < budget) {
        struct round r = draw_round(&rng, t.rounds, budget - t.transitions);

        double start = now_seconds();

        run_round(&r, seed, &t);
        /* One line per round on stdout: ctest shows it when a run fails
         * or times out, so a slow round can be told from a hung one. */
        (void)printf("%6.1f s  ", now_seconds() - start);
        describe_to(stdout, &r, seed);
        (void)fflush(stdout);
        if (check_failed_ > 0) {
            describe(&r, seed);
            break;
        }
    }
    CHECK(t.rounds < 3 || (t.killed > 0 && t.failed > 0));
    (void)printf("soak: %u rounds (%u threads, %u processes), %ld "
                 "transitions, %u workers killed, %u runs failed, %ld tasks "
                 "failed, %.1f s, seed %llu\n",
                 t.rounds, t.thread_rounds, t.process_rounds, t.transitions,
                 t.killed, t.failed, t.tasks_failed, now_seconds() - t0,
                 (unsigned long long)seed);
    return check_report();
}
