/* SPDX-License-Identifier: MIT */
/*
 * test_pairwise_sum.c - numpy's summation order, checked against the
 * column sums that numerics.md §8.2 records for dcnum's default run on
 * cytoshot-x5 (np.nansum over 275 events; no NaN in those columns).
 */
#include <limits.h>
#include <stdlib.h>

#include "check.h"
#include "pairwise_sum.h"
#include "testdata.h"

static double
column_sum(const struct td_csv *t, const char *name, int pairwise)
{
    int col = td_csv_col(t, name);
    double *v = calloc(t->nrows, sizeof(double));
    double s = 0.0;

    if (col < 0 || v == NULL) {
        free(v);
        return -1.0;
    }
    for (size_t r = 0; r < t->nrows; r++)
        v[r] = td_csv_get(t, r, col);
    if (pairwise) {
        s = dcn__pairwise_sum(v, t->nrows);
    } else {
        for (size_t r = 0; r < t->nrows; r++)
            s += v[r];
    }
    free(v);
    return s;
}

static void
test_small_sums_are_sequential(void)
{
    double a[7] = {1e16, 1.0, -1e16, 1.0, 0.5, 0.25, 3.0};

    CHECK_DBL_IDENT(dcn__pairwise_sum(a, 0), 0.0);
    CHECK_DBL_IDENT(dcn__pairwise_sum(a, 3), ((0.0 + 1e16) + 1.0) - 1e16);
    CHECK_DBL_IDENT(dcn__pairwise_sum(a, 7),
                    (((((0.0 + 1e16) + 1.0) - 1e16) + 1.0) + 0.5 + 0.25) + 3.0);
}

static void
test_reference_column_sums(void)
{
    char path[PATH_MAX];
    struct td_csv t;
    int differs = 0;
    static const struct {
        const char *name;
        double sum;
    } want[] = {
            {"deform", 73.22123133071213},
            {"pos_x", 13448.317620622725},
            {"volume", 36457.46797363402},
            {"bright_sd", 6260.117018955387},
            {"tilt", 24.65221601125214},
            {"inert_ratio_prnc", 1129.2651987884765},
            {"bg_off", -24.599999999999795},
    };

    td_path(path, "reference/cytoshot-x5/default/features.csv");
    CHECK_EQ(td_csv_load(&t, path), 0);
    CHECK_EQ(t.nrows, 275);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        CHECK_DBL_IDENT(column_sum(&t, want[i].name, 1), want[i].sum);
        differs += column_sum(&t, want[i].name, 0) != want[i].sum;
    }
    /* The oracle discriminates: plain summation misses at least one. */
    CHECK(differs > 0);
    td_csv_release(&t);
}

int
main(void)
{
    test_small_sums_are_sequential();
    test_reference_column_sums();
    return check_report();
}
