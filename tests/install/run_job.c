/* SPDX-License-Identifier: MIT */
/*
 * run_job.c - a client of the installed library: built by
 * test_install.sh with `pkg-config --cflags --libs dcnumc` only.
 *
 * usage: run_job INPUT OUTPUT
 * Runs dcnum's default job (basin strategy drain) and prints
 * "version <v> events <n> hash <h>".
 */
#include <stdio.h>

#include <dcnumc/dcnumc.h>
#include <dcnumc/job.h>
#include <dcnumc/run.h>

int
main(int argc, char **argv)
{
    struct dcn_error err = DCN_ERROR_INIT;
    struct dcn_run_result res;
    struct dcn_job job;
    int rc;

    if (argc != 3) {
        (void)fprintf(stderr, "usage: run_job INPUT OUTPUT\n");
        return 2;
    }
    dcn_job_init(&job);
    rc = dcn_job_set_path_in(&job, argv[1], &err);
    if (rc == DCN_OK)
        rc = dcn_job_set_path_out(&job, argv[2], &err);
    if (rc == DCN_OK)
        rc = dcn_run(&job, NULL, &res, &err);
    dcn_job_release(&job);
    if (rc != DCN_OK) {
        (void)fprintf(stderr, "run_job: %s\n",
                      err.msg[0] != '\0' ? err.msg : dcn_strerror(rc));
        return 1;
    }
    printf("version %s events %llu hash %s\n", dcn_version(),
           (unsigned long long)res.events, res.hash);
    return 0;
}
