# Inter-block smoothing of a progressive file whose coefficients are incomplete (libjpeg-turbo's
# decompress_smooth_data in jdcoefct.c, which Pillow runs whenever a progressive file ends with low-frequency
# AC coefficients not known to full precision: a damaged file, or one whose scans stop early).
#
# Owns: estimating a block's still-zero low-frequency coefficients (and, when no AC coefficient was ever
# coded, its DC) from the quantized DC values of the 5x5 blocks around it, with libjpeg's integer rounding,
# so the pixels match Pillow's. The weights are in _smooth.h.
# Does not own: deciding whether smoothing applies, which bits-per-coefficient state to use, or where the
# neighbouring blocks are (the decoder's output_progressive gathers the 25 DC values).
from libc.stdint cimport int16_t, uint16_t, int32_t, int64_t, uint8_t

cdef extern from "_smooth.h":
    const int16_t cy_smooth_weights[2][10][25]
    const uint8_t cy_smooth_position[10]


cdef inline void smooth_block(int16_t* block, const int32_t* dc_grid, const signed char* coef_bits,
                              const uint16_t* qtable, int no_ac_coded) noexcept nogil:
    # block: a copy of the block's 64 coefficients (natural order), updated in place. dc_grid: the 25 DC
    # values around it. coef_bits[k]: for zigzag k = 1..9, the Al of the last scan of that coefficient (0:
    # exact, so left alone; -1: never coded). no_ac_coded: coefficients 1..9 were never coded at all.
    cdef int estimate, count = 10 if no_ac_coded else 5, k, position, al
    cdef int64_t total, num, q00 = qtable[0], quantizer
    cdef int32_t pred
    cdef const int16_t* weights
    for estimate in range(count):
        position = cy_smooth_position[estimate]
        al = 0
        if estimate < 9:
            # An AC estimate replaces a coefficient that is still zero and not known to be exactly zero.
            al = coef_bits[estimate + 1]
            if al == 0 or block[position] != 0:
                continue
        weights = cy_smooth_weights[no_ac_coded][estimate]
        total = 0
        for k in range(25):
            total += weights[k] * dc_grid[k]
        num = q00 * total
        quantizer = qtable[position]
        # Rounded division of |num| by 256 Q (libjpeg divides the magnitude, then restores the sign); an
        # estimate never exceeds what the missing bits could hold (2**Al - 1).
        if num >= 0:
            pred = <int32_t>((quantizer * 128 + num) // (quantizer * 256))
        else:
            pred = <int32_t>((quantizer * 128 - num) // (quantizer * 256))
        if al > 0 and pred >= (1 << al):
            pred = (1 << al) - 1
        if num < 0:
            pred = -pred
        block[position] = <int16_t>pred
