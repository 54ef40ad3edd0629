/* SPDX-License-Identifier: MIT */
/*
 * test_slot_stress.c - the chunk slot and slot register under load, with
 * worker threads and with forked worker processes (style.md rule 55).
 *
 * The fake pipeline of slot_harness.c runs thousands of chunks through
 * the register: workers take the states i, s, m, l, e with random batch
 * sizes and one task in eight failing, a writer takes the 'w' slot of each
 * chunk in order.  Asserted: every frame of every chunk went through every
 * state exactly once and in order, no frame was ever held by two workers
 * at once, and a slot's progress never decreased within one state of one
 * chunk.  test_slot_soak adds contention, stalls and killed workers.
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "slot_harness.h"

static void
stress_with_threads(size_t nslots, size_t chunk, size_t nchunks, int nwork)
{
    struct harness h;
    pthread_t workers[16];

    CHECK_EQ(harness_setup(&h, nslots, chunk, nchunks * chunk - chunk / 2), 0);
    for (int i = 0; i < nwork; i++)
        pthread_create(&workers[i], NULL, harness_worker_thread, &h);
    harness_io_start(&h);
    harness_io_join(&h);
    for (int i = 0; i < nwork; i++)
        pthread_join(workers[i], NULL);
    CHECK_EQ(harness_verify_complete(&h), 0);
    CHECK(harness_tasks_failed(&h) > 0);
    harness_teardown(&h);
}

/* Workers are forked before any thread starts (style.md rule 36). */
static void
stress_with_processes(size_t nslots, size_t chunk, size_t nchunks, int nwork)
{
    struct harness h;
    pid_t pids[16];
    int status;

    CHECK_EQ(harness_setup(&h, nslots, chunk, nchunks * chunk), 0);
    for (int i = 0; i < nwork; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
            harness_worker_loop(&h, 100 + i);
            _exit(0);
        }
    }
    harness_io_start(&h);
    harness_io_join(&h);
    for (int i = 0; i < nwork; i++) {
        CHECK(waitpid(pids[i], &status, 0) == pids[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_EQ(harness_verify_complete(&h), 0);
    CHECK(harness_tasks_failed(&h) > 0);
    harness_teardown(&h);
}

int
main(void)
{
    stress_with_processes(3, 7, 1500, 4);
    stress_with_processes(1, 1, 2000, 3);
    stress_with_threads(4, 10, 3000, 6);
    stress_with_threads(2, 3, 3000, 8);
    stress_with_threads(HARNESS_MAX_SLOTS, HARNESS_MAX_CHUNK, 2000, 5);
    return check_report();
}
