# Colour conversion and chroma down-sampling for the encoder, one image row at a time.
#
# Owns: RGB -> YCbCr in 16-bit fixed point (the JFIF 1.02 equations with the same constants and rounding as
# libjpeg's jccolor.c, so our samples equal libjpeg-turbo's bit for bit), right-edge replication up to the
# padded block width, and the 2:1 down-sampling filters of libjpeg-turbo's jcsample.c (box filter with the
# alternating rounding bias that keeps the average unbiased). Does not own the band layout or which rows to
# replicate at the bottom edge: _encoder.pyx decides that.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int32_t

cdef enum:
    SCALEBITS = 16
    FIX_0_29900 = 19595    # 0.29900 * 2**16
    FIX_0_58700 = 38470    # 0.58700 * 2**16 (the three luma weights sum to exactly 2**16)
    FIX_0_11400 = 7471     # 0.11400 * 2**16
    FIX_0_16874 = 11059    # 0.16874 * 2**16
    FIX_0_33126 = 21709    # 0.33126 * 2**16
    FIX_0_50000 = 32768    # 0.5 * 2**16
    FIX_0_41869 = 27439    # 0.41869 * 2**16
    FIX_0_08131 = 5329     # 0.08131 * 2**16
    ONE_HALF = 32768       # 0.5 * 2**16: round to nearest
    # Chroma is centred on 128; libjpeg adds ONE_HALF - 1 rather than ONE_HALF so that the largest value
    # cannot round up to 256 (the weights of the positive term are exactly 0.5).
    CBCR_OFFSET = (128 << 16) + 32767


cdef enum:
    CHUNK = 256   # pixels de-interleaved at a time (3 x 512 bytes of stack)


cdef inline void rgb_row_to_ycc(const uint8_t* rgb, int width, int padded_width,
                                uint8_t* y_row, uint8_t* cb_row, uint8_t* cr_row) noexcept nogil:
    """Convert one row of `width` RGB pixels; replicate the last pixel out to `padded_width`.

    Interleaved RGB does not vectorise with baseline SSE2, so each chunk is first split into three planes;
    the arithmetic on planes then runs in vector lanes (16x16 -> 32-bit products). Same results as the
    per-pixel formula: only the order of evaluation changes.
    """
    cdef uint8_t red[CHUNK]
    cdef uint8_t green[CHUNK]
    cdef uint8_t blue[CHUNK]
    cdef int start = 0, count, x
    while start < width:
        count = width - start if width - start < CHUNK else CHUNK
        for x in range(count):
            red[x] = rgb[3 * (start + x)]
            green[x] = rgb[3 * (start + x) + 1]
            blue[x] = rgb[3 * (start + x) + 2]
        ycc_planes(red, green, blue, count, y_row + start, cb_row + start, cr_row + start)
        start += count
    replicate_right(y_row, width, padded_width)
    replicate_right(cb_row, width, padded_width)
    replicate_right(cr_row, width, padded_width)


cdef inline void ycc_planes(const uint8_t* red, const uint8_t* green, const uint8_t* blue, int count,
                            uint8_t* y_out, uint8_t* cb_out, uint8_t* cr_out) noexcept nogil:
    # All products are unsigned 16 x 16 bits, which SSE2 and NEON multiply in vector lanes; the sums are
    # formed so that no intermediate is negative (Cb and Cr subtract from a positive total).
    cdef int x
    cdef uint32_t r, g, b
    for x in range(count):
        r = <uint16_t>red[x]
        g = <uint16_t>green[x]
        b = <uint16_t>blue[x]
        y_out[x] = <uint8_t>((r * FIX_0_29900 + g * FIX_0_58700 + b * FIX_0_11400 + ONE_HALF) >> SCALEBITS)
        cb_out[x] = <uint8_t>((b * FIX_0_50000 + CBCR_OFFSET - r * FIX_0_16874 - g * FIX_0_33126) >> SCALEBITS)
        cr_out[x] = <uint8_t>((r * FIX_0_50000 + CBCR_OFFSET - g * FIX_0_41869 - b * FIX_0_08131) >> SCALEBITS)


cdef inline void gray_row(const uint8_t* gray, int width, int padded_width, uint8_t* y_row) noexcept nogil:
    """Grayscale is its own luma: copy the row and replicate the last pixel."""
    cdef int x
    for x in range(width):
        y_row[x] = gray[x]
    replicate_right(y_row, width, padded_width)


cdef inline void replicate_right(uint8_t* row, int width, int padded_width) noexcept nogil:
    # T.81 A.2.4 leaves the padding of partial blocks to the encoder; replicating the edge (as libjpeg
    # does) keeps the padded block smooth, so it costs few bits and matches libjpeg's coefficients.
    cdef int x
    cdef uint8_t edge = row[width - 1]
    for x in range(width, padded_width):
        row[x] = edge


cdef inline void downsample_h2v1(const uint8_t* row, int out_width, uint8_t* out) noexcept nogil:
    """4:2:2: average horizontal pairs. The bias alternates 0, 1, 0, 1 along the row (jcsample h2v1)."""
    cdef int x
    for x in range(out_width):
        out[x] = <uint8_t>((row[2 * x] + row[2 * x + 1] + (x & 1)) >> 1)


cdef inline void downsample_h2v2(const uint8_t* row0, const uint8_t* row1, int out_width,
                                 uint8_t* out) noexcept nogil:
    """4:2:0: average 2x2 squares. The bias alternates 1, 2, 1, 2 along the row (jcsample h2v2)."""
    cdef int x
    for x in range(out_width):
        out[x] = <uint8_t>((row0[2 * x] + row0[2 * x + 1] + row1[2 * x] + row1[2 * x + 1]
                            + 1 + (x & 1)) >> 2)


cdef inline void downsample_h1v2(const uint8_t* row0, const uint8_t* row1, int out_width,
                                 uint8_t* out) noexcept nogil:
    """4:4:0: average vertical pairs. libjpeg-turbo has no dedicated h1v2 filter: it takes the generic
    int_downsample path, (sum + n/2) / n, so the rounding is always +1 with no alternation."""
    cdef int x
    for x in range(out_width):
        out[x] = <uint8_t>((row0[x] + row1[x] + 1) >> 1)
