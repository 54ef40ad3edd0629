/* SPDX-License-Identifier: MIT */
/*
 * bench_slots.c - the chunk-slot state cycle with N workers, and the
 * throughput of acquire/release per state.
 *
 * A reader assigns chunks to slots, N workers (threads, or forked
 * processes with --processes) take batches in the states i, s, m, l, e
 * and do no work on them, a writer takes each chunk's 'w' slot in order.
 * What is measured is the cost of the chunk slot and slot register
 * themselves: reservations and releases per second per state, and frames
 * per second through the whole cycle.  It reports; it never fails.
 */
#define _DEFAULT_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "slot_register.h"

#define NSTATES 6

static const char states[NSTATES + 1] = "ismlew";

/* Shared statistics, kept in the register's shared extra space. */
struct stats {
    atomic_long tasks[NSTATES];
    atomic_long frames[NSTATES];
    atomic_llong nanos[NSTATES]; /* time inside reserve + finish */
};

struct options {
    size_t workers, chunks, chunk_frames, slots, batch;
    bool processes;
};

struct bench {
    struct dcn_slot_register *reg;
    struct stats *stats;
    size_t batch;
};

static long long
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
account(struct bench *b, int si, size_t frames, long long ns)
{
    atomic_fetch_add(&b->stats->tasks[si], 1);
    atomic_fetch_add(&b->stats->frames[si], (long)frames);
    atomic_fetch_add(&b->stats->nanos[si], ns);
}

/* Try one task in state si; 1 if done, 0 if none, < 0 when quitting. */
static int
one_task(struct bench *b, int si)
{
    struct dcn_task t;
    long long t0 = now_ns();
    int rc = dcn__slot_register_reserve(b->reg, (enum dcn_slot_state)states[si],
                                        b->batch, &t);
    long long t1;

    if (rc != 1)
        return rc;
    t1 = now_ns();
    rc = dcn__slot_register_finish(b->reg, &t, true);
    account(b, si, t.stop - t.start, (t1 - t0) + (now_ns() - t1));
    return rc < 0 ? rc : 1;
}

static void
worker_loop(struct bench *b)
{
    for (;;) {
        uint64_t epoch = dcn__slot_register_epoch(b->reg);
        int did = 0;

        /* Downstream states first keep chunks flowing to the writer. */
        for (int si = 4; si >= 0 && did == 0; si--)
            did = one_task(b, si);
        if (did < 0)
            return;
        if (did == 0 && dcn__slot_register_wait(b->reg, epoch) < 0)
            return;
    }
}

static void *
worker_thread(void *arg)
{
    worker_loop(arg);
    return NULL;
}

static void *
reader_thread(void *arg)
{
    struct bench *b = arg;
    size_t slot;
    int64_t chunk;

    while (dcn__slot_register_begin_load(b->reg, &slot, &chunk) == 1)
        dcn__slot_register_end_fetch(b->reg, slot);
    return NULL;
}

static void *
writer_thread(void *arg)
{
    struct bench *b = arg;
    size_t n = dcn__slot_register_nchunks(b->reg);

    for (int64_t c = 0; c < (int64_t)n; c++) {
        struct dcn_task t;
        size_t slot;
        long long t0 = now_ns();

        if (dcn__slot_register_wait_for(b->reg, c, DCN_STATE_WRITE, &slot) <
                    0 ||
            dcn__slot_register_reserve_slot(b->reg, slot, DCN_STATE_WRITE,
                                            DCN_BATCH_ALL, &t) != 1)
            break;
        dcn__slot_register_finish(b->reg, &t, true);
        account(b, 5, t.stop - t.start, now_ns() - t0);
    }
    dcn__slot_register_set_state(b->reg, DCN_REGISTER_QUIT);
    return NULL;
}

static void
report(const struct options *o, struct bench *b, double seconds)
{
    size_t frames = o->chunks * o->chunk_frames;

    printf("chunk-slot cycle: %zu %s, %zu slots + remainder, %zu chunks of "
           "%zu frames, batch %zu\n",
           o->workers, o->processes ? "processes" : "threads", o->slots,
           o->chunks, o->chunk_frames, o->batch);
    printf("%-6s %10s %12s %16s\n", "state", "tasks", "frames",
           "acq+rel/s/worker");
    for (int si = 0; si < NSTATES; si++) {
        long tasks = atomic_load(&b->stats->tasks[si]);
        double ns = (double)atomic_load(&b->stats->nanos[si]);

        printf("%-6c %10ld %12ld %16.0f\n", states[si], tasks,
               atomic_load(&b->stats->frames[si]),
               ns > 0 ? (double)tasks / (ns * 1e-9) : 0.0);
    }
    printf("whole cycle: %.3f s, %.0f frames/s, %.0f chunks/s\n", seconds,
           (double)frames / seconds, (double)o->chunks / seconds);
}

/* The next option; called before any thread starts. */
static int
next_option(int argc, char **argv, const struct option *longopts)
{
    // NOLINTNEXTLINE(concurrency-mt-unsafe): no threads yet
    return getopt_long(argc, argv, "", longopts, NULL);
}

static int
parse(struct options *o, int argc, char **argv)
{
    static const struct option longopts[] = {
            {"workers", required_argument, NULL, 'w'},
            {"chunks", required_argument, NULL, 'c'},
            {"chunk-frames", required_argument, NULL, 'f'},
            {"slots", required_argument, NULL, 's'},
            {"batch", required_argument, NULL, 'b'},
            {"processes", no_argument, NULL, 'p'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0}};
    int c;

    *o = (struct options){2, 2000, 1000, 7, 100, false};
    while ((c = next_option(argc, argv, longopts)) != -1) {
        unsigned long v = optarg ? strtoul(optarg, NULL, 10) : 0;

        if (c == 'w' && v > 0 && v <= 64)
            o->workers = v;
        else if (c == 'c' && v > 0)
            o->chunks = v;
        else if (c == 'f' && v > 0)
            o->chunk_frames = v;
        else if (c == 's' && v > 0 && v <= DCN_MAX_SLOTS)
            o->slots = v;
        else if (c == 'b')
            o->batch = v;
        else if (c == 'p')
            o->processes = true;
        else
            return -1;
    }
    return 0;
}

static void
run(const struct options *o, struct bench *b)
{
    pthread_t reader, writer, threads[64];
    pid_t pids[64];

    for (size_t i = 0; o->processes && i < o->workers; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            worker_loop(b);
            _exit(0);
        }
    }
    for (size_t i = 0; !o->processes && i < o->workers; i++)
        pthread_create(&threads[i], NULL, worker_thread, b);
    pthread_create(&reader, NULL, reader_thread, b);
    pthread_create(&writer, NULL, writer_thread, b);
    pthread_join(reader, NULL);
    pthread_join(writer, NULL);
    for (size_t i = 0; i < o->workers; i++) {
        if (o->processes)
            waitpid(pids[i], NULL, 0);
        else
            pthread_join(threads[i], NULL);
    }
}

int
main(int argc, char **argv)
{
    struct options o;
    struct dcn_error err = DCN_ERROR_INIT;
    struct bench b;
    long long t0;

    if (parse(&o, argc, argv) < 0) {
        (void)fprintf(stderr, "usage: bench_slots [--workers N] [--chunks N] "
                              "[--chunk-frames N] [--slots N] [--batch N] "
                              "[--processes]\n");
        return 2;
    }
    struct dcn_register_config cfg = {
            o.slots, o.chunk_frames,      o.chunks * o.chunk_frames, 1, 1, 0,
            0,       sizeof(struct stats)};
    if (dcn__slot_register_new(&b.reg, &cfg, &err) < 0) {
        (void)fprintf(stderr, "bench_slots: %s\n", err.msg);
        return 1;
    }
    b.stats = dcn__slot_register_shared_extra(b.reg);
    b.batch = o.batch;
    t0 = now_ns();
    run(&o, &b);
    report(&o, &b, (double)(now_ns() - t0) * 1e-9);
    dcn__slot_register_free(b.reg);
    return 0;
}
