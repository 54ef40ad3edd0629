/* SPDX-License-Identifier: MIT */
/*
 * background_corr.c - the corrected image of numerics.md §2.0:
 * image_corr = int16(image) - int16(image_bg), exact; bg_off is not
 * applied.
 */
#include "background.h"

void
dcn_bg_subtract(int16_t *corr, const uint8_t *img, const uint8_t *bg,
                size_t npix)
{
    for (size_t p = 0; p < npix; p++)
        corr[p] = (int16_t)((int16_t)img[p] - (int16_t)bg[p]);
}
