# Forward 8x8 DCT (T.81 A.3.3, FDCT) in accurate integer arithmetic.
#
# Owns: level shift (T.81 A.3.1: subtract 128) and the 2-D forward DCT of one block of samples. The
# factorisation is Loeffler, Ligtenberg and Moschytz's (12 multiplies, 32 adds per 1-D DCT), computed with
# the same 13-bit constants, the same two extra bits of precision between passes and the same rounding as
# libjpeg's "islow" method, so our coefficients equal libjpeg-turbo's exactly. Like libjpeg's, the output is
# scaled up by 8 (a factor sqrt(8) per 1-D pass); _quant.pxd divides by 8*Q in one step.
#
# Both passes run with one vector lane per row (pass 1) or per column (pass 2): the block is loaded
# transposed and transposed again between the passes (_simd.h, SSE2 on x86-64, plain loops elsewhere).
# Baseline SSE2 has no 32-bit vector multiply but does have 16 x 16 -> 32-bit products, so the butterflies
# stay in int16 and each rotation is expanded into products of one int16 term by one combined constant,
# e.g. z1 + tmp13 * FIX_0_765 = tmp12 * FIX_0_541 + tmp13 * (FIX_0_541 + FIX_0_765). Integer products
# distribute exactly, so every sum equals libjpeg's term for term and the rounding is unchanged.
# On x86-64, fdct_islow runs the same arithmetic written with SSE2 pmaddwd (_simd.h); tests compare the two.
# Does not own quantization (see _quant.pxd).
from libc.stdint cimport uint8_t, int16_t, int32_t

cdef extern from "_simd.h":
    void cy_transpose_i16(const int16_t* src, int16_t* dst) noexcept nogil
    void cy_load_transposed_u8(const uint8_t* samples, int stride, int16_t* dst) noexcept nogil
    enum: CY_HAVE_SSE2_DCT
    void cy_fdct_islow_sse2(const uint8_t* samples, int stride, int16_t* work, int16_t* coefs) noexcept nogil

from cyjpeg._dct_constants cimport *


cdef inline void dct_1d_lanes(const int16_t* src, int16_t* dst, int pass1) noexcept nogil:
    """Eight 1-D DCTs side by side: input k of lane j is src[8 * k + j], output u goes to dst[8 * u + j].

    pass1: the row pass (outputs scaled up by 2**PASS1_BITS, and the level shift folded into the DC term);
    otherwise the column pass (removes that scaling). Magnitudes: pass-1 inputs are 0..255 and outputs
    below 2**13; pass-2 sums of two inputs stay below 2**14, so all butterflies fit int16 and all products
    and sums fit int32.
    """
    cdef int lane, shift, dc_shift
    cdef int32_t rounding, dc_rounding, dc_offset
    cdef int16_t s0, s1, s2, s3, s4, s5, s6, s7, e10, e11, e12, e13
    if pass1:
        shift = CONST_BITS - PASS1_BITS
        dc_offset = -8 * 128     # the level shift of T.81 A.3.1: -128 per sample, 8 samples per row
    else:
        shift = CONST_BITS + PASS1_BITS
        dc_offset = 0
    rounding = 1 << (shift - 1)
    for lane in range(8):
        s0 = <int16_t>(src[lane] + src[56 + lane])
        s7 = <int16_t>(src[lane] - src[56 + lane])
        s1 = <int16_t>(src[8 + lane] + src[48 + lane])
        s6 = <int16_t>(src[8 + lane] - src[48 + lane])
        s2 = <int16_t>(src[16 + lane] + src[40 + lane])
        s5 = <int16_t>(src[16 + lane] - src[40 + lane])
        s3 = <int16_t>(src[24 + lane] + src[32 + lane])
        s4 = <int16_t>(src[24 + lane] - src[32 + lane])
        # Even part.
        e10 = <int16_t>(s0 + s3)
        e13 = <int16_t>(s0 - s3)
        e11 = <int16_t>(s1 + s2)
        e12 = <int16_t>(s1 - s2)
        if pass1:
            # (a multiply rather than a left shift: shifting a negative value is undefined in C)
            dst[lane] = <int16_t>((<int32_t>e10 + e11 + dc_offset) * (1 << PASS1_BITS))
            dst[32 + lane] = <int16_t>((<int32_t>e10 - e11) * (1 << PASS1_BITS))
        else:
            dst[lane] = <int16_t>((<int32_t>e10 + e11 + (1 << (PASS1_BITS - 1))) >> PASS1_BITS)
            dst[32 + lane] = <int16_t>((<int32_t>e10 - e11 + (1 << (PASS1_BITS - 1))) >> PASS1_BITS)
        dst[16 + lane] = <int16_t>((<int32_t>e12 * FIX_0_541196100
                                    + <int32_t>e13 * (FIX_0_541196100 + FIX_0_765366865) + rounding) >> shift)
        dst[48 + lane] = <int16_t>((<int32_t>e13 * FIX_0_541196100
                                    + <int32_t>e12 * (FIX_0_541196100 - FIX_1_847759065) + rounding) >> shift)
        # Odd part (Loeffler's rotations), with z5 = (s4 + s5 + s6 + s7) * FIX_1_175875602 distributed.
        dst[56 + lane] = <int16_t>((<int32_t>s4 * (FIX_0_298631336 - FIX_0_899976223 - FIX_1_961570560 + FIX_1_175875602)
                                    + <int32_t>s5 * FIX_1_175875602
                                    + <int32_t>s6 * (FIX_1_175875602 - FIX_1_961570560)
                                    + <int32_t>s7 * (FIX_1_175875602 - FIX_0_899976223) + rounding) >> shift)
        dst[40 + lane] = <int16_t>((<int32_t>s4 * FIX_1_175875602
                                    + <int32_t>s5 * (FIX_2_053119869 - FIX_2_562915447 - FIX_0_390180644 + FIX_1_175875602)
                                    + <int32_t>s6 * (FIX_1_175875602 - FIX_2_562915447)
                                    + <int32_t>s7 * (FIX_1_175875602 - FIX_0_390180644) + rounding) >> shift)
        dst[24 + lane] = <int16_t>((<int32_t>s4 * (FIX_1_175875602 - FIX_1_961570560)
                                    + <int32_t>s5 * (FIX_1_175875602 - FIX_2_562915447)
                                    + <int32_t>s6 * (FIX_3_072711026 - FIX_2_562915447 - FIX_1_961570560 + FIX_1_175875602)
                                    + <int32_t>s7 * FIX_1_175875602 + rounding) >> shift)
        dst[8 + lane] = <int16_t>((<int32_t>s4 * (FIX_1_175875602 - FIX_0_899976223)
                                   + <int32_t>s5 * (FIX_1_175875602 - FIX_0_390180644)
                                   + <int32_t>s6 * FIX_1_175875602
                                   + <int32_t>s7 * (FIX_1_501321110 - FIX_0_899976223 - FIX_0_390180644 + FIX_1_175875602)
                                   + rounding) >> shift)


cdef inline void fdct_islow(const uint8_t* samples, int stride, int16_t* work, int16_t* coefs) noexcept nogil:
    """DCT of the 8x8 samples at `samples` (rows `stride` bytes apart) into coefs[64], natural order.

    `work` is 128 int16 of scratch. The outputs are below 2**14 in magnitude for 8-bit input (8 times a
    DCT of values in -128..127), so they fit int16, which the quantizer wants.
    """
    if CY_HAVE_SSE2_DCT:
        # x86-64: the same passes with pmaddwd (_simd.h), which computes each rotation's two products and
        # their sum in one instruction; the compiler cannot find that instruction in the loops below.
        cy_fdct_islow_sse2(samples, stride, work, coefs)
        return
    fdct_islow_lanes(samples, stride, work, coefs)


cdef inline void fdct_islow_lanes(const uint8_t* samples, int stride, int16_t* work, int16_t* coefs) noexcept nogil:
    """The portable DCT (any CPU): the same arithmetic in plain loops that compilers vectorise."""
    # Pass 1, rows: lane r is row r, so the block is loaded transposed (input k of lane r = sample[r][k]).
    cy_load_transposed_u8(samples, stride, work)
    dct_1d_lanes(work, work + 64, 1)          # work[64 + 8u + r] = row r's frequency u
    # Pass 2, columns: lane u is column u, so transpose back (input k of lane u = row k's frequency u).
    cy_transpose_i16(work + 64, work)
    dct_1d_lanes(work, coefs, 0)
