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
from libc.stdint cimport uint8_t, int32_t, uint16_t

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
    # The edge columns have no outer neighbour and repeat the edge sample (src_width > 2 here).
    cdef int col, here, last = src_width - 1
    out[0] = src[0]
    out[1] = <uint8_t>((3 * src[0] + src[1] + 2) >> 2)
    for col in range(1, last):
        here = 3 * src[col]
        out[2 * col] = <uint8_t>((here + src[col - 1] + 1) >> 2)
        out[2 * col + 1] = <uint8_t>((here + src[col + 1] + 2) >> 2)
    out[2 * last] = <uint8_t>((3 * src[last] + src[last - 1] + 1) >> 2)
    out[2 * last + 1] = src[last]


cdef inline void upsample_h2v2_fancy(const uint8_t* near_row, const uint8_t* far_row, int src_width,
                                     uint16_t* colsum, uint8_t* out) noexcept nogil:
    # Vertical pass first: colsum = 3 * nearer row + further row (0..1020); then the same horizontal triangle
    # on the sums, (3 * nearer + further + 8 or 7) / 16 (src_width > 2 here).
    cdef int col, here, last = src_width - 1
    for col in range(src_width):
        colsum[col] = <uint16_t>(3 * near_row[col] + far_row[col])
    out[0] = <uint8_t>((4 * colsum[0] + 8) >> 4)
    out[1] = <uint8_t>((3 * colsum[0] + colsum[1] + 7) >> 4)
    for col in range(1, last):
        here = 3 * colsum[col]
        out[2 * col] = <uint8_t>((here + colsum[col - 1] + 8) >> 4)
        out[2 * col + 1] = <uint8_t>((here + colsum[col + 1] + 7) >> 4)
    out[2 * last] = <uint8_t>((3 * colsum[last] + colsum[last - 1] + 8) >> 4)
    out[2 * last + 1] = <uint8_t>((4 * colsum[last] + 7) >> 4)


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


ctypedef struct ColourTables:
    # libjpeg's jdcolor.c tables: per-Cb and per-Cr terms precomputed, and a clamp table covering every sum.
    int32_t cr_to_r[256]          # round(1.402 * (Cr - 128))
    int32_t cb_to_b[256]          # round(1.772 * (Cb - 128))
    int32_t cr_to_g[256]          # -0.71414 * (Cr - 128) * 2**16
    int32_t cb_to_g[256]          # -0.34414 * (Cb - 128) * 2**16 + 0.5 * 2**16 (the rounding half)
    uint8_t clamp[1024]           # clamp[x + CLAMP_OFFSET] = min(max(x, 0), 255) for x in -384..639


cdef enum:
    CLAMP_OFFSET = 384


cdef inline void colour_tables_init(ColourTables* tables) noexcept nogil:
    cdef int i, x
    for i in range(256):
        x = i - 128
        tables.cr_to_r[i] = (FIX_1_40200 * x + YCC_ONE_HALF) >> YCC_SCALEBITS
        tables.cb_to_b[i] = (FIX_1_77200 * x + YCC_ONE_HALF) >> YCC_SCALEBITS
        tables.cr_to_g[i] = -FIX_0_71414 * x
        tables.cb_to_g[i] = -FIX_0_34414 * x + YCC_ONE_HALF
    for i in range(1024):
        x = i - CLAMP_OFFSET
        tables.clamp[i] = 0 if x < 0 else (255 if x > 255 else x)


cdef inline void ycc_to_rgb_row(const ColourTables* tables, const uint8_t* luma, const uint8_t* cb_row,
                                const uint8_t* cr_row, uint8_t* out, int width) noexcept nogil:
    # R = Y + 1.402 (Cr - 128); G = Y - 0.34414 (Cb - 128) - 0.71414 (Cr - 128); B = Y + 1.772 (Cb - 128),
    # each rounded exactly as libjpeg's tables round them (R and B per term, G on the sum).
    cdef int col, y, cb, cr
    cdef const uint8_t* clamp = tables.clamp + CLAMP_OFFSET
    for col in range(width):
        y = luma[col]
        cb = cb_row[col]
        cr = cr_row[col]
        out[3 * col] = clamp[y + tables.cr_to_r[cr]]
        out[3 * col + 1] = clamp[y + ((tables.cb_to_g[cb] + tables.cr_to_g[cr]) >> YCC_SCALEBITS)]
        out[3 * col + 2] = clamp[y + tables.cb_to_b[cb]]


cdef inline void interleave_row(const uint8_t* first, const uint8_t* second, const uint8_t* third,
                                uint8_t* out, int width) noexcept nogil:
    # Components that need no colour transform (Adobe transform 0: the file holds R, G, B).
    cdef int col
    for col in range(width):
        out[3 * col] = first[col]
        out[3 * col + 1] = second[col]
        out[3 * col + 2] = third[col]


# Four-component files. Pillow reads every CMYK JPEG as Adobe-inverted ("CMYK;I": Photoshop stores 255 - ink),
# so the decoder hands out 255 - libjpeg's CMYK, which is what Pillow's mode "CMYK" holds.

cdef inline void ycck_to_inverted_cmyk_row(const ColourTables* tables, const uint8_t* luma, const uint8_t* cb_row,
                                           const uint8_t* cr_row, const uint8_t* k_row, uint8_t* out,
                                           int width) noexcept nogil:
    # Adobe transform 2 (YCCK): Y, Cb, Cr convert to R, G, B as in JFIF and C, M, Y = 255 - R, G, B (libjpeg's
    # ycck_cmyk_convert); K is stored as it is. Inverted, that leaves R, G, B and 255 - K.
    cdef int col, y, cb, cr
    cdef const uint8_t* clamp = tables.clamp + CLAMP_OFFSET
    for col in range(width):
        y = luma[col]
        cb = cb_row[col]
        cr = cr_row[col]
        out[4 * col] = clamp[y + tables.cr_to_r[cr]]
        out[4 * col + 1] = clamp[y + ((tables.cb_to_g[cb] + tables.cr_to_g[cr]) >> YCC_SCALEBITS)]
        out[4 * col + 2] = clamp[y + tables.cb_to_b[cb]]
        out[4 * col + 3] = 255 - k_row[col]


cdef inline void interleave_inverted_row(const uint8_t* first, const uint8_t* second, const uint8_t* third,
                                         const uint8_t* fourth, uint8_t* out, int width) noexcept nogil:
    # Adobe transform 0 (or no Adobe marker): the components are C, M, Y, K as stored.
    cdef int col
    for col in range(width):
        out[4 * col] = 255 - first[col]
        out[4 * col + 1] = 255 - second[col]
        out[4 * col + 2] = 255 - third[col]
        out[4 * col + 3] = 255 - fourth[col]
