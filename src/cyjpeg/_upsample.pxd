# Chroma upsampling and YCbCr -> RGB conversion of decoded rows.
#
# Owns: the row kernels that bring a subsampled component back to full resolution the way libjpeg-turbo 3
# does by default ("fancy" upsampling: a triangle filter, 3/4 of the nearer sample and 1/4 of the further one,
# for 2x horizontal, 2x vertical and 2x both ways; plain replication for every other integral ratio), and the
# JFIF colour conversion (ITU-R BT.601 full range, JFIF 1.02 section 7) in libjpeg's 16-bit fixed point.
# The rounding biases (+1/+2 alternating, +7/+8 in 2-D) are libjpeg's ordered dither that keeps the filter
# from drifting; they are what makes the output bit-identical to libjpeg's.
# Edges: a missing neighbour is the edge sample itself (libjpeg replicates the first/last row and column).
# Does not own: deciding which kernel a component needs (the decoder does, from the sampling factors).
from libc.stdint cimport uint8_t, int32_t

# JFIF YCbCr -> RGB in 16-bit fixed point, as libjpeg's jdcolor.c.
cdef enum:
    YCC_SCALEBITS = 16
    YCC_ONE_HALF = 32768           # 0.5 * 2**16
    FIX_1_40200 = 91881            # 1.40200 * 2**16 (Cr -> R)
    FIX_1_77200 = 116130           # 1.77200 * 2**16 (Cb -> B)
    FIX_0_71414 = 46802            # 0.71414 * 2**16 (Cr -> G)
    FIX_0_34414 = 22554            # 0.34414 * 2**16 (Cb -> G)


cdef inline void upsample_h2v1_fancy(const uint8_t* src, int src_width, uint8_t* out) noexcept nogil:
    # Two outputs per input sample: (3 * nearer + further + bias) / 4, bias 1 on the left, 2 on the right.
    cdef int col, here, left, right
    for col in range(src_width):
        here = 3 * src[col]
        left = src[col - 1] if col > 0 else src[0]
        right = src[col + 1] if col + 1 < src_width else src[src_width - 1]
        out[2 * col] = <uint8_t>((here + left + 1) >> 2)
        out[2 * col + 1] = <uint8_t>((here + right + 2) >> 2)


cdef inline void upsample_h2v2_fancy(const uint8_t* near_row, const uint8_t* far_row, int src_width,
                                     int32_t* colsum, uint8_t* out) noexcept nogil:
    # Vertical pass first: colsum = 3 * nearer row + further row (0..1020); then the same horizontal triangle
    # on the sums, (3 * nearer + further + 8 or 7) / 16.
    cdef int col
    cdef int32_t here, left, right
    for col in range(src_width):
        colsum[col] = 3 * near_row[col] + far_row[col]
    for col in range(src_width):
        here = 3 * colsum[col]
        left = colsum[col - 1] if col > 0 else colsum[0]
        right = colsum[col + 1] if col + 1 < src_width else colsum[src_width - 1]
        out[2 * col] = <uint8_t>((here + left + 8) >> 4)
        out[2 * col + 1] = <uint8_t>((here + right + 7) >> 4)


cdef inline void upsample_h1v2_fancy(const uint8_t* near_row, const uint8_t* far_row, int src_width, int bias,
                                     uint8_t* out) noexcept nogil:
    # Vertical triangle only: (3 * nearer row + further row + bias) / 4, bias 1 for the upper output row of
    # the pair and 2 for the lower one.
    cdef int col
    for col in range(src_width):
        out[col] = <uint8_t>((3 * near_row[col] + far_row[col] + bias) >> 2)


cdef inline void upsample_replicate(const uint8_t* src, int src_width, int factor, uint8_t* out) noexcept nogil:
    # Each input sample repeated `factor` times (1..4).
    cdef int col, rep
    if factor == 2:
        for col in range(src_width):
            out[2 * col] = src[col]
            out[2 * col + 1] = src[col]
        return
    for col in range(src_width):
        for rep in range(factor):
            out[col * factor + rep] = src[col]


cdef inline uint8_t clamp_sample(int32_t value) noexcept nogil:
    if value < 0:
        return 0
    if value > 255:
        return 255
    return <uint8_t>value


cdef inline void ycc_to_rgb_row(const uint8_t* luma, const uint8_t* cb_row, const uint8_t* cr_row,
                                uint8_t* out, int width) noexcept nogil:
    # R = Y + 1.402 (Cr - 128); G = Y - 0.34414 (Cb - 128) - 0.71414 (Cr - 128); B = Y + 1.772 (Cb - 128),
    # each rounded exactly as libjpeg's lookup tables round them (R and B per term, G on the sum).
    cdef int col
    cdef int32_t y, cb, cr
    for col in range(width):
        y = luma[col]
        cb = <int32_t>cb_row[col] - 128
        cr = <int32_t>cr_row[col] - 128
        out[3 * col] = clamp_sample(y + ((FIX_1_40200 * cr + YCC_ONE_HALF) >> YCC_SCALEBITS))
        out[3 * col + 1] = clamp_sample(y + ((-FIX_0_34414 * cb - FIX_0_71414 * cr + YCC_ONE_HALF) >> YCC_SCALEBITS))
        out[3 * col + 2] = clamp_sample(y + ((FIX_1_77200 * cb + YCC_ONE_HALF) >> YCC_SCALEBITS))


cdef inline void interleave_row(const uint8_t* first, const uint8_t* second, const uint8_t* third,
                                uint8_t* out, int width) noexcept nogil:
    # Components that need no colour transform (Adobe transform 0: the file holds R, G, B).
    cdef int col
    for col in range(width):
        out[3 * col] = first[col]
        out[3 * col + 1] = second[col]
        out[3 * col + 2] = third[col]
