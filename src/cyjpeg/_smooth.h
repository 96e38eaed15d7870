/* Weights of libjpeg's inter-block smoothing (jdcoefct.c decompress_smooth_data), for _smooth.pxd.
 *
 * Each estimate of a low-frequency coefficient is a weighted sum of the quantized DC values of the 5x5 blocks
 * around the block (index (dy + 2) * 5 + (dx + 2), dy down, dx right), times the DC quantizer, divided by
 * 256 times the coefficient's own quantizer. Table 0 is used while some of the first nine AC coefficients
 * have been coded (the five lowest are estimated, as T.81 K.8 describes for a 3x3 window); table 1 when none
 * has (nine AC coefficients and the DC itself are estimated from a smooth surface through the DC values).
 * Order: natural positions 1, 8, 16, 9, 2, 3, 10, 17, 24 (zigzag 1..9), then the DC.
 */
#ifndef CYJPEG_SMOOTH_H
#define CYJPEG_SMOOTH_H
#include <stdint.h>

static const int16_t cy_smooth_weights[2][10][25] = {
    {   /* some of AC 1..9 coded: the five lowest estimated, T.81 K.8 on a 5x5 window */
        {   0,    0,    0,    0,    0,     0,    0,    0,    0,    0,    -7,   50,    0,  -50,    7,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0},  /* AC01 */
        {   0,    0,   -7,    0,    0,     0,    0,   50,    0,    0,     0,    0,    0,    0,    0,     0,    0,  -50,    0,    0,     0,    0,    7,    0,    0},  /* AC10 */
        {   0,    0,   -1,    0,    0,     0,    0,   13,    0,    0,     0,    0,  -24,    0,    0,     0,    0,   13,    0,    0,     0,    0,   -1,    0,    0},  /* AC20 */
        {   0,   -1,    0,    1,    0,    -1,   10,    0,  -10,    1,     0,    0,    0,    0,    0,     1,  -10,    0,   10,   -1,     0,    1,    0,   -1,    0},  /* AC11 */
        {   0,    0,    0,    0,    0,     0,    0,    0,    0,    0,    -1,   13,  -24,   13,   -1,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0},  /* AC02 */
        {   0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0},  /* AC03 */
        {   0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0},  /* AC12 */
        {   0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0},  /* AC21 */
        {   0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0},  /* AC30 */
        {   0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0,     0,    0,    0,    0,    0},  /* DC */
    },
    {   /* no AC information at all: also the DC and coefficients 6..9 */
        {  -1,   -1,    0,    1,    1,    -3,   13,    0,  -13,    3,    -3,   38,    0,  -38,    3,    -3,   13,    0,  -13,    3,    -1,   -1,    0,    1,    1},  /* AC01 */
        {  -1,   -3,   -3,   -3,   -1,    -1,   13,   38,   13,   -1,     0,    0,    0,    0,    0,     1,  -13,  -38,  -13,    1,     1,    3,    3,    3,    1},  /* AC10 */
        {   0,    0,    1,    0,    0,     0,    2,    7,    2,    0,     0,   -5,  -14,   -5,    0,     0,    2,    7,    2,    0,     0,    0,    1,    0,    0},  /* AC20 */
        {  -1,    0,    0,    0,    1,     0,    9,    0,   -9,    0,     0,    0,    0,    0,    0,     0,   -9,    0,    9,    0,     1,    0,    0,    0,   -1},  /* AC11 */
        {   0,    0,    0,    0,    0,     0,    2,   -5,    2,    0,     1,    7,  -14,    7,    1,     0,    2,   -5,    2,    0,     0,    0,    0,    0,    0},  /* AC02 */
        {   0,    0,    0,    0,    0,     0,    1,    0,   -1,    0,     0,    2,    0,   -2,    0,     0,    1,    0,   -1,    0,     0,    0,    0,    0,    0},  /* AC03 */
        {   0,    0,    0,    0,    0,     0,    1,   -3,    1,    0,     0,    0,    0,    0,    0,     0,   -1,    3,   -1,    0,     0,    0,    0,    0,    0},  /* AC12 */
        {   0,    0,    0,    0,    0,     0,    1,    0,   -1,    0,     0,   -3,    0,    3,    0,     0,    1,    0,   -1,    0,     0,    0,    0,    0,    0},  /* AC21 */
        {   0,    0,    0,    0,    0,     0,    1,    2,    1,    0,     0,    0,    0,    0,    0,     0,   -1,   -2,   -1,    0,     0,    0,    0,    0,    0},  /* AC30 */
        {  -2,   -6,   -8,   -6,   -2,    -6,    6,   42,    6,   -6,    -8,   42,  152,   42,   -8,    -6,    6,   42,    6,   -6,    -2,   -6,   -8,   -6,   -2},  /* DC */
    },
};

/* Natural-order position of each estimate (zigzag index = estimate + 1 for the nine AC ones). */
static const uint8_t cy_smooth_position[10] = {1, 8, 16, 9, 2, 3, 10, 17, 24, 0};

#endif
