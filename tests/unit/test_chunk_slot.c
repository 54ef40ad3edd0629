/* SPDX-License-Identifier: MIT */
/*
 * test_chunk_slot.c - every rule of the seed's ChunkSlotData (style.md
 * §5.1): construction, views, state/progress, acquire/release edge cases,
 * and sharing across fork().
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "dcnumc/chunk_slot.h"

static struct dcn_chunk_slot *
make_slot(size_t frames, unsigned features)
{
    struct dcn_slot_shape shape = {frames, 4, 5};
    struct dcn_chunk_slot *slot = NULL;

    CHECK_EQ(dcn_chunk_slot_new(&slot, &shape, features, NULL), DCN_OK);
    return slot;
}

static void
test_construction_leaves_state_i_and_chunk_minus_one(void)
{
    struct dcn_chunk_slot *slot = make_slot(10, 0);
    double progress = -1;

    CHECK_EQ(dcn_chunk_slot_state(slot), 'i');
    CHECK_EQ(dcn_chunk_slot_chunk(slot), -1);
    CHECK_EQ(dcn_chunk_slot_length(slot), 10);
    CHECK_EQ(dcn_chunk_slot_get_progress(slot, &progress), DCN_OK);
    CHECK(progress == 0.0);
    dcn_chunk_slot_free(slot);
}

static void
test_construction_keeps_the_shape(void)
{
    struct dcn_chunk_slot *slot = make_slot(10, 0);
    struct dcn_slot_shape shape = dcn_chunk_slot_shape(slot);

    CHECK_EQ(shape.frames, 10);
    CHECK_EQ(shape.height, 4);
    CHECK_EQ(shape.width, 5);
    dcn_chunk_slot_free(slot);
}

static void
test_views_exist_only_for_available_features(void)
{
    struct dcn_chunk_slot *plain = make_slot(3, 0);
    struct dcn_chunk_slot *full =
            make_slot(3, DCN_SLOT_IMAGE_BG | DCN_SLOT_BG_OFF);
    uint16_t *labels;

    CHECK(dcn_chunk_slot_image(plain) != NULL);
    CHECK(dcn_chunk_slot_image_bg(plain) == NULL);
    CHECK(dcn_chunk_slot_image_corr(plain) == NULL);
    CHECK(dcn_chunk_slot_bg_off(plain) == NULL);
    CHECK(dcn_chunk_slot_mask(plain) != NULL);
    CHECK(dcn_chunk_slot_image_bg(full) != NULL);
    CHECK(dcn_chunk_slot_image_corr(full) != NULL);
    CHECK(dcn_chunk_slot_bg_off(full) != NULL);
    /* Every view spans all frames and does not overlap the next one. */
    labels = dcn_chunk_slot_labels(full);
    for (size_t i = 0; i < (size_t)3 * 4 * 5; i++) {
        labels[i] = (uint16_t)(i + 1);
        dcn_chunk_slot_image_corr(full)[i] = (int16_t)-i;
        dcn_chunk_slot_mask(full)[i] = true;
    }
    dcn_chunk_slot_bg_off(full)[2] = -0.5;
    CHECK_EQ(labels[59], 60);
    CHECK_EQ(dcn_chunk_slot_image_corr(full)[59], -59);
    CHECK(dcn_chunk_slot_bg_off(full)[2] == -0.5);
    dcn_chunk_slot_free(plain);
    dcn_chunk_slot_free(full);
}

static void
test_acquire_in_wrong_state_returns_empty_range(void)
{
    struct dcn_chunk_slot *slot = make_slot(10, 0);
    size_t start = 99, stop = 99;

    CHECK_EQ(dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_SEGMENT, 3,
                                              &start, &stop),
             DCN_OK);
    CHECK_EQ(start, 0);
    CHECK_EQ(stop, 0);
    dcn_chunk_slot_free(slot);
}

static void
test_batch_stops_at_the_next_reserved_frame(void)
{
    struct dcn_chunk_slot *slot = make_slot(10, 0);
    size_t start, stop;

    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 3, &start, &stop);
    CHECK_EQ(start, 0);
    CHECK_EQ(stop, 3);
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 3, &start, &stop);
    CHECK_EQ(start, 3);
    CHECK_EQ(stop, 6);
    /* A failed task frees its frames without counting them as done. */
    dcn_chunk_slot_release_task_lock(slot, 0, 3, false);
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 5, &start, &stop);
    CHECK_EQ(start, 0);
    CHECK_EQ(stop, 3);
    dcn_chunk_slot_free(slot);
}

static void
test_batch_larger_than_what_is_free(void)
{
    struct dcn_chunk_slot *slot = make_slot(10, 0);
    size_t start, stop;
    double progress;

    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 7, &start, &stop);
    dcn_chunk_slot_release_task_lock(slot, start, stop, true);
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 100, &start, &stop);
    CHECK_EQ(start, 7);
    CHECK_EQ(stop, 10);
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 100, &start, &stop);
    CHECK_EQ(start, 0); /* nothing free */
    CHECK_EQ(stop, 0);
    dcn_chunk_slot_get_progress(slot, &progress);
    CHECK(progress == 0.7);
    dcn_chunk_slot_free(slot);
}

static void
test_fragmented_reservations_fill_the_gaps_in_order(void)
{
    struct dcn_chunk_slot *slot = make_slot(10, 0);
    size_t start, stop;

    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 2, &start, &stop);
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 2, &start, &stop);
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 2, &start, &stop);
    /* reserved: [0,2) [2,4) [4,6); finish the middle one, free the first */
    dcn_chunk_slot_release_task_lock(slot, 2, 4, true);
    dcn_chunk_slot_release_task_lock(slot, 0, 2, false);
    /* the first free run is [0,2): it ends at the done frame 2 */
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, DCN_BATCH_ALL,
                                     &start, &stop);
    CHECK_EQ(start, 0);
    CHECK_EQ(stop, 2);
    /* then [6,10), after the reserved [4,6) */
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, DCN_BATCH_ALL,
                                     &start, &stop);
    CHECK_EQ(start, 6);
    CHECK_EQ(stop, 10);
    dcn_chunk_slot_free(slot);
}

static void
test_unlimited_batch_takes_the_whole_remainder(void)
{
    struct dcn_chunk_slot *slot = make_slot(10, 0);
    size_t start, stop;

    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, DCN_BATCH_ALL,
                                     &start, &stop);
    CHECK_EQ(start, 0);
    CHECK_EQ(stop, 10);
    dcn_chunk_slot_free(slot);
}

static void
test_state_change_resets_progress_same_state_does_not(void)
{
    struct dcn_chunk_slot *slot = make_slot(4, 0);
    size_t start, stop;
    double progress;

    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 2, &start, &stop);
    dcn_chunk_slot_release_task_lock(slot, start, stop, true);
    CHECK_EQ(dcn_chunk_slot_set_state(slot, DCN_STATE_LOAD), DCN_OK);
    dcn_chunk_slot_get_progress(slot, &progress);
    CHECK(progress == 0.5);
    CHECK_EQ(dcn_chunk_slot_set_state(slot, DCN_STATE_SEGMENT), DCN_OK);
    dcn_chunk_slot_get_progress(slot, &progress);
    CHECK(progress == 0.0);
    CHECK_EQ(dcn_chunk_slot_state(slot), 's');
    CHECK_EQ(dcn_chunk_slot_set_state(slot, (enum dcn_slot_state)'x'),
             DCN_EINVAL);
    CHECK_EQ(dcn_chunk_slot_state(slot), 's');
    dcn_chunk_slot_free(slot);
}

static void
test_release_without_done_and_double_done(void)
{
    struct dcn_chunk_slot *slot = make_slot(4, 0);
    size_t start, stop;
    double progress;
    bool advanced = true;

    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, DCN_BATCH_ALL,
                                     &start, &stop);
    CHECK_EQ(dcn_chunk_slot_finish_task(slot, 0, 4, false, DCN_STATE_SEGMENT,
                                        &advanced),
             DCN_OK);
    CHECK(!advanced);
    dcn_chunk_slot_get_progress(slot, &progress);
    CHECK(progress == 0.0);
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 2, &start, &stop);
    dcn_chunk_slot_release_task_lock(slot, 0, 2, true);
    dcn_chunk_slot_release_task_lock(slot, 0, 2, true); /* counted once */
    dcn_chunk_slot_get_progress(slot, &progress);
    CHECK(progress == 0.5);
    CHECK_EQ(dcn_chunk_slot_release_task_lock(slot, 3, 5, true), DCN_EINVAL);
    dcn_chunk_slot_free(slot);
}

static void
test_finish_task_advances_exactly_once(void)
{
    struct dcn_chunk_slot *slot = make_slot(4, 0);
    size_t s1, e1, s2, e2;
    bool adv1 = true, adv2 = false;

    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 2, &s1, &e1);
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 2, &s2, &e2);
    dcn_chunk_slot_finish_task(slot, s1, e1, true, DCN_STATE_SEGMENT, &adv1);
    dcn_chunk_slot_finish_task(slot, s2, e2, true, DCN_STATE_SEGMENT, &adv2);
    CHECK(!adv1);
    CHECK(adv2);
    CHECK_EQ(dcn_chunk_slot_state(slot), 's');
    dcn_chunk_slot_free(slot);
}

static void
test_zero_length_slot(void)
{
    struct dcn_chunk_slot *slot = make_slot(0, DCN_SLOT_BG_OFF);
    size_t start = 9, stop = 9;
    double progress = 0;

    CHECK_EQ(dcn_chunk_slot_length(slot), 0);
    dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, DCN_BATCH_ALL,
                                     &start, &stop);
    CHECK_EQ(start, 0);
    CHECK_EQ(stop, 0);
    dcn_chunk_slot_get_progress(slot, &progress);
    CHECK(progress == 1.0);
    dcn_chunk_slot_free(slot);
    dcn_chunk_slot_free(NULL);
}

static void
test_state_cycle(void)
{
    const char *cycle = "0ismlewdi";

    for (int i = 0; cycle[i + 1] != '\0'; i++)
        CHECK_EQ(dcn_slot_state_next((enum dcn_slot_state)cycle[i]),
                 cycle[i + 1]);
    CHECK_EQ(dcn_slot_state_next(DCN_STATE_NONE), 'n');
    CHECK(dcn_slot_state_valid('n'));
    CHECK(!dcn_slot_state_valid('x'));
    CHECK(!dcn_slot_state_valid(0));
}

/* A forked child sees and changes the same slot (MAP_SHARED). */
static void
test_slot_is_shared_with_forked_process(void)
{
    struct dcn_chunk_slot *slot = make_slot(8, 0);
    size_t start, stop;
    int status = -1;
    pid_t pid;

    dcn_chunk_slot_set_chunk(slot, 5);
    pid = fork();
    if (pid == 0) {
        int ok = dcn_chunk_slot_chunk(slot) == 5;

        dcn_chunk_slot_acquire_task_lock(slot, DCN_STATE_LOAD, 8, &start,
                                         &stop);
        dcn_chunk_slot_image(slot)[0] = 42;
        dcn_chunk_slot_release_task_lock(slot, start, stop, true);
        dcn_chunk_slot_set_state(slot, DCN_STATE_SEGMENT);
        _exit(ok ? 0 : 1);
    }
    CHECK(pid > 0);
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(dcn_chunk_slot_image(slot)[0], 42);
    CHECK_EQ(dcn_chunk_slot_state(slot), 's');
    dcn_chunk_slot_free(slot);
}

/* A process that dies holding the slot's lock makes the next locker
 * fail with DCN_EWORKER instead of hanging. */
static void
test_dead_lock_holder_is_an_error_not_a_hang(void)
{
    struct dcn_chunk_slot *slot = make_slot(4, 0);
    double progress;
    pid_t pid = fork();
    int status;

    if (pid == 0) {
        /* Take the lock through the struct's first member and die. */
        pthread_mutex_lock((pthread_mutex_t *)(void *)slot);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    CHECK_EQ(dcn_chunk_slot_get_progress(slot, &progress), DCN_EWORKER);
    /* The lock was made consistent: later calls work again. */
    CHECK_EQ(dcn_chunk_slot_get_progress(slot, &progress), DCN_OK);
    dcn_chunk_slot_free(slot);
}

int
main(void)
{
    test_construction_leaves_state_i_and_chunk_minus_one();
    test_construction_keeps_the_shape();
    test_views_exist_only_for_available_features();
    test_acquire_in_wrong_state_returns_empty_range();
    test_batch_stops_at_the_next_reserved_frame();
    test_batch_larger_than_what_is_free();
    test_fragmented_reservations_fill_the_gaps_in_order();
    test_unlimited_batch_takes_the_whole_remainder();
    test_state_change_resets_progress_same_state_does_not();
    test_release_without_done_and_double_done();
    test_finish_task_advances_exactly_once();
    test_zero_length_slot();
    test_state_cycle();
    test_slot_is_shared_with_forked_process();
    test_dead_lock_holder_is_an_error_not_a_hang();
    return check_report();
}
