/* SPDX-License-Identifier: MIT */
/*
 * features_table.c - the fixed feature table (names, groups) and the
 * gate of dcnum's feat/gate.py (numerics.md §4.12).
 */
#include <math.h>
#include <string.h>

#include "features_extract.h"

static const char *const feature_names[DCN_FEAT_COUNT] = {
        [DCN_FEAT_AREA_MSD] = "area_msd",
        [DCN_FEAT_AREA_RATIO] = "area_ratio",
        [DCN_FEAT_AREA_UM] = "area_um",
        [DCN_FEAT_AREA_UM_RAW] = "area_um_raw",
        [DCN_FEAT_ASPECT] = "aspect",
        [DCN_FEAT_DEFORM] = "deform",
        [DCN_FEAT_DEFORM_RAW] = "deform_raw",
        [DCN_FEAT_ECCENTR_PRNC] = "eccentr_prnc",
        [DCN_FEAT_INERT_RATIO_CVX] = "inert_ratio_cvx",
        [DCN_FEAT_INERT_RATIO_PRNC] = "inert_ratio_prnc",
        [DCN_FEAT_INERT_RATIO_RAW] = "inert_ratio_raw",
        [DCN_FEAT_PER_RATIO] = "per_ratio",
        [DCN_FEAT_PER_UM_RAW] = "per_um_raw",
        [DCN_FEAT_POS_X] = "pos_x",
        [DCN_FEAT_POS_Y] = "pos_y",
        [DCN_FEAT_SIZE_X] = "size_x",
        [DCN_FEAT_SIZE_Y] = "size_y",
        [DCN_FEAT_TILT] = "tilt",
        [DCN_FEAT_VOLUME] = "volume",
        [DCN_FEAT_BG_MED] = "bg_med",
        [DCN_FEAT_BRIGHT_AVG] = "bright_avg",
        [DCN_FEAT_BRIGHT_BC_AVG] = "bright_bc_avg",
        [DCN_FEAT_BRIGHT_BC_SD] = "bright_bc_sd",
        [DCN_FEAT_BRIGHT_PERC_10] = "bright_perc_10",
        [DCN_FEAT_BRIGHT_PERC_90] = "bright_perc_90",
        [DCN_FEAT_BRIGHT_SD] = "bright_sd",
        [DCN_FEAT_TEX_ASM_AVG] = "tex_asm_avg",
        [DCN_FEAT_TEX_ASM_PTP] = "tex_asm_ptp",
        [DCN_FEAT_TEX_CON_AVG] = "tex_con_avg",
        [DCN_FEAT_TEX_CON_PTP] = "tex_con_ptp",
        [DCN_FEAT_TEX_COR_AVG] = "tex_cor_avg",
        [DCN_FEAT_TEX_COR_PTP] = "tex_cor_ptp",
        [DCN_FEAT_TEX_DEN_AVG] = "tex_den_avg",
        [DCN_FEAT_TEX_DEN_PTP] = "tex_den_ptp",
        [DCN_FEAT_TEX_ENT_AVG] = "tex_ent_avg",
        [DCN_FEAT_TEX_ENT_PTP] = "tex_ent_ptp",
        [DCN_FEAT_TEX_F12_AVG] = "tex_f12_avg",
        [DCN_FEAT_TEX_F12_PTP] = "tex_f12_ptp",
        [DCN_FEAT_TEX_F13_AVG] = "tex_f13_avg",
        [DCN_FEAT_TEX_F13_PTP] = "tex_f13_ptp",
        [DCN_FEAT_TEX_IDM_AVG] = "tex_idm_avg",
        [DCN_FEAT_TEX_IDM_PTP] = "tex_idm_ptp",
        [DCN_FEAT_TEX_SEN_AVG] = "tex_sen_avg",
        [DCN_FEAT_TEX_SEN_PTP] = "tex_sen_ptp",
        [DCN_FEAT_TEX_SVA_AVG] = "tex_sva_avg",
        [DCN_FEAT_TEX_SVA_PTP] = "tex_sva_ptp",
        [DCN_FEAT_TEX_VAR_AVG] = "tex_var_avg",
        [DCN_FEAT_TEX_VAR_PTP] = "tex_var_ptp",
};

const char *
dcn_feature_name(enum dcn_feature f)
{
    if ((int)f < 0 || f >= DCN_FEAT_COUNT)
        return NULL;
    return feature_names[f];
}

unsigned
dcn_feature_group(enum dcn_feature f)
{
    if ((int)f < 0 || f >= DCN_FEAT_COUNT)
        return 0;
    if (f < DCN_FEAT_VOLUME)
        return DCN_FEATURES_MOMENTS;
    if (f == DCN_FEAT_VOLUME)
        return DCN_FEATURES_VOLUME;
    if (f < DCN_FEAT_FIRST_TEXTURE)
        return DCN_FEATURES_BRIGHTNESS;
    return DCN_FEATURES_HARALICK;
}

int
dcn_feature_from_name(enum dcn_feature *f, const char *name)
{
    for (int i = 0; i < DCN_FEAT_COUNT; i++) {
        if (strcmp(feature_names[i], name) == 0) {
            *f = (enum dcn_feature)i;
            return DCN_OK;
        }
    }
    return DCN_ENOTFOUND;
}

bool
dcn_feature_enabled(enum dcn_feature f, unsigned flags)
{
    return (dcn_feature_group(f) & (flags | DCN_FEATURES_MOMENTS)) != 0;
}

/* One online filter: a hard gate unless its soft limit is true (the
 * default when the key is absent). */
static int
add_filter(struct dcn_gate *gate, const struct dcn_online_filter *of,
           unsigned flags, struct dcn_error *err)
{
    enum dcn_feature f;

    if (of->soft_limit || (!of->has_min && !of->has_max))
        return DCN_OK;
    if (of->feature == NULL ||
        dcn_feature_from_name(&f, of->feature) != DCN_OK ||
        !dcn_feature_enabled(f, flags))
        return dcn_error_set(err, DCN_EINVAL,
                             "online gate 'online_filter:%s' is on a feature "
                             "that the pipeline does not compute",
                             of->feature ? of->feature : "(null)");
    gate->box[f] = true;
    gate->has_lo[f] = gate->has_lo[f] || of->has_min;
    gate->has_hi[f] = gate->has_hi[f] || of->has_max;
    if (of->has_min)
        gate->lo[f] = of->min;
    if (of->has_max)
        gate->hi[f] = of->max;
    return DCN_OK;
}

/* Shape-In's hard-coded minimum size of 3 px: [3*ps, None]; dcnum's
 * lookup bug makes this override any size_x/size_y gate of the metadata */
static void
set_min_size(struct dcn_gate *gate, enum dcn_feature f, double ps)
{
    double lo = 3 * ps;

    gate->box[f] = true;
    gate->has_lo[f] = true;
    gate->lo[f] = lo > 0 ? lo : 0;
    gate->has_hi[f] = false;
    gate->hi[f] = 0;
}

int
dcn_gate_init(struct dcn_gate *gate, const struct dcn_gate_options *opt,
              unsigned flags, struct dcn_error *err)
{
    memset(gate, 0, sizeof(*gate));
    if (opt == NULL)
        return dcn_error_set(err, DCN_EINVAL, "gate: no options");
    /* size_thresh_mask: user value if truthy, else bin area min with
     * online gates, else 10 (0 counts as not given) */
    gate->size_thresh_mask = opt->size_thresh_mask;
    if (gate->size_thresh_mask == 0 && opt->online_gates &&
        opt->has_bin_area_min)
        gate->size_thresh_mask = opt->bin_area_min;
    if (gate->size_thresh_mask == 0)
        gate->size_thresh_mask = 10;
    if (!opt->online_gates)
        return DCN_OK;
    if (opt->has_polygon_filter)
        return dcn_error_set(err, DCN_EINVAL,
                             "online gates: polygon filters are not "
                             "implemented (online_filter:* polygon points)");
    for (size_t i = 0; i < opt->nfilters; i++) {
        int rc = add_filter(gate, &opt->filters[i], flags, err);
        if (rc < 0)
            return rc;
    }
    set_min_size(gate, DCN_FEAT_SIZE_X, opt->pixel_size);
    set_min_size(gate, DCN_FEAT_SIZE_Y, opt->pixel_size);
    gate->any_box = true;
    return DCN_OK;
}

bool
dcn_gate_box_pass(const struct dcn_gate *gate, const double *feat)
{
    if (!gate->any_box)
        return true;
    for (int f = 0; f < DCN_FEAT_COUNT; f++) {
        if (!gate->box[f])
            continue;
        /* comparisons with NaN are false: NaN fails the gate */
        if (gate->has_lo[f] && !(feat[f] >= gate->lo[f]))
            return false;
        if (gate->has_hi[f] && !(feat[f] <= gate->hi[f]))
            return false;
    }
    return true;
}
