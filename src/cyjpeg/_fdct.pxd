# Forward 8x8 DCT (T.81 A.3.3, FDCT) in accurate integer arithmetic.
#
# Owns: level shift (T.81 A.3.1: subtract 128) and the 2-D forward DCT of one block of samples. The
# factorisation is Loeffler, Ligtenberg and Moschytz's (12 multiplies, 32 adds per 1-D DCT), computed with
# the same 13-bit constants, the same two extra bits of precision between passes and the same rounding as
# libjpeg's "islow" method, so our coefficients equal libjpeg-turbo's exactly. Like libjpeg's, the output is
# scaled up by 8 (a factor sqrt(8) per 1-D pass); _quant.pxd divides by 8*Q in one step.
# Does not own quantization (see _quant.pxd).
from libc.stdint cimport uint8_t, int16_t, int32_t

cdef enum:
    CONST_BITS = 13            # fixed-point fraction bits of the multipliers
    PASS1_BITS = 2             # extra precision kept between the row pass and the column pass
    FIX_0_298631336 = 2446     # 0.298631336 * 2**13
    FIX_0_390180644 = 3196     # 0.390180644 * 2**13
    FIX_0_541196100 = 4433     # 0.541196100 * 2**13
    FIX_0_765366865 = 6270     # 0.765366865 * 2**13
    FIX_0_899976223 = 7373     # 0.899976223 * 2**13
    FIX_1_175875602 = 9633     # 1.175875602 * 2**13
    FIX_1_501321110 = 12299    # 1.501321110 * 2**13
    FIX_1_847759065 = 15137    # 1.847759065 * 2**13
    FIX_1_961570560 = 16069    # 1.961570560 * 2**13
    FIX_2_053119869 = 16819    # 2.053119869 * 2**13
    FIX_2_562915447 = 20995    # 2.562915447 * 2**13
    FIX_3_072711026 = 25172    # 3.072711026 * 2**13


cdef inline void fdct_islow(const uint8_t* samples, int stride, int32_t* work, int16_t* coefs) noexcept nogil:
    """DCT of the 8x8 samples at `samples` (rows `stride` bytes apart) into coefs[64], natural order.

    `work` is 64 int32 of scratch space between the passes. The outputs are below 2**14 in magnitude for
    8-bit input (8 times a DCT of values in -128..127), so they fit int16, which the quantizer wants.
    """
    cdef int32_t tmp0, tmp1, tmp2, tmp3, tmp4, tmp5, tmp6, tmp7
    cdef int32_t tmp10, tmp11, tmp12, tmp13, z1, z2, z3, z4, z5
    cdef int row, col
    cdef const uint8_t* s
    cdef int32_t* c
    cdef int16_t* out
    cdef int16_t s0, s1, s2, s3, s4, s5, s6, s7, e10, e11, e12, e13
    # Pass 1: rows. Results are scaled up by 2**PASS1_BITS to keep precision for pass 2.
    for row in range(8):
        s = samples + row * stride
        c = work + row * 8
        tmp0 = <int32_t>s[0] + s[7]
        tmp7 = <int32_t>s[0] - s[7]
        tmp1 = <int32_t>s[1] + s[6]
        tmp6 = <int32_t>s[1] - s[6]
        tmp2 = <int32_t>s[2] + s[5]
        tmp5 = <int32_t>s[2] - s[5]
        tmp3 = <int32_t>s[3] + s[4]
        tmp4 = <int32_t>s[3] - s[4]
        # Even part. The level shift (-128 per sample, T.81 A.3.1) only touches the DC term: 8 * 128.
        tmp10 = tmp0 + tmp3
        tmp13 = tmp0 - tmp3
        tmp11 = tmp1 + tmp2
        tmp12 = tmp1 - tmp2
        c[0] = (tmp10 + tmp11 - 8 * 128) * (1 << PASS1_BITS)  # multiply: a left shift of a negative is undefined in C
        c[4] = (tmp10 - tmp11) * (1 << PASS1_BITS)
        z1 = (tmp12 + tmp13) * FIX_0_541196100
        c[2] = (z1 + tmp13 * FIX_0_765366865 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        c[6] = (z1 - tmp12 * FIX_1_847759065 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        # Odd part (Loeffler's rotations).
        z1 = tmp4 + tmp7
        z2 = tmp5 + tmp6
        z3 = tmp4 + tmp6
        z4 = tmp5 + tmp7
        z5 = (z3 + z4) * FIX_1_175875602
        tmp4 = tmp4 * FIX_0_298631336
        tmp5 = tmp5 * FIX_2_053119869
        tmp6 = tmp6 * FIX_3_072711026
        tmp7 = tmp7 * FIX_1_501321110
        z1 = -z1 * FIX_0_899976223
        z2 = -z2 * FIX_2_562915447
        z3 = -z3 * FIX_1_961570560 + z5
        z4 = -z4 * FIX_0_390180644 + z5
        c[7] = (tmp4 + z1 + z3 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        c[5] = (tmp5 + z2 + z4 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        c[3] = (tmp6 + z2 + z3 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        c[1] = (tmp7 + z1 + z4 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
    # Pass 2: columns. Removes the PASS1_BITS scaling; the result keeps the overall factor of 8.
    # The loop runs over columns with unit stride, so the compiler computes all eight columns in vector
    # lanes. Baseline SSE2 has no 32-bit vector multiply, but it does have 16 x 16 -> 32-bit products:
    # so the butterflies are kept in int16 (pass-1 outputs are below 2**13, their pairwise sums and
    # differences below 2**15) and each rotation is expanded into products of one int16 term by one
    # combined constant (e.g. z1 + tmp13 * FIX_0_765 = tmp12 * FIX_0_541 + tmp13 * (FIX_0_541 + FIX_0_765)).
    # Integer products distribute exactly, so the sums equal libjpeg's term for term.
    for col in range(8):
        c = work + col
        out = coefs + col
        s0 = <int16_t>(c[0] + c[56])
        s7 = <int16_t>(c[0] - c[56])
        s1 = <int16_t>(c[8] + c[48])
        s6 = <int16_t>(c[8] - c[48])
        s2 = <int16_t>(c[16] + c[40])
        s5 = <int16_t>(c[16] - c[40])
        s3 = <int16_t>(c[24] + c[32])
        s4 = <int16_t>(c[24] - c[32])
        e10 = <int16_t>(s0 + s3)
        e13 = <int16_t>(s0 - s3)
        e11 = <int16_t>(s1 + s2)
        e12 = <int16_t>(s1 - s2)
        out[0] = <int16_t>((<int32_t>e10 + e11 + (1 << (PASS1_BITS - 1))) >> PASS1_BITS)
        out[32] = <int16_t>((<int32_t>e10 - e11 + (1 << (PASS1_BITS - 1))) >> PASS1_BITS)
        out[16] = <int16_t>((<int32_t>e12 * FIX_0_541196100 + <int32_t>e13 * (FIX_0_541196100 + FIX_0_765366865)
                             + (1 << (CONST_BITS + PASS1_BITS - 1))) >> (CONST_BITS + PASS1_BITS))
        out[48] = <int16_t>((<int32_t>e13 * FIX_0_541196100 + <int32_t>e12 * (FIX_0_541196100 - FIX_1_847759065)
                             + (1 << (CONST_BITS + PASS1_BITS - 1))) >> (CONST_BITS + PASS1_BITS))
        # Odd part: with z5 = (s4 + s5 + s6 + s7) * FIX_1_175875602 distributed over the four terms.
        out[56] = <int16_t>((<int32_t>s4 * (FIX_0_298631336 - FIX_0_899976223 - FIX_1_961570560 + FIX_1_175875602)
                             + <int32_t>s5 * FIX_1_175875602
                             + <int32_t>s6 * (FIX_1_175875602 - FIX_1_961570560)
                             + <int32_t>s7 * (FIX_1_175875602 - FIX_0_899976223)
                             + (1 << (CONST_BITS + PASS1_BITS - 1))) >> (CONST_BITS + PASS1_BITS))
        out[40] = <int16_t>((<int32_t>s4 * FIX_1_175875602
                             + <int32_t>s5 * (FIX_2_053119869 - FIX_2_562915447 - FIX_0_390180644 + FIX_1_175875602)
                             + <int32_t>s6 * (FIX_1_175875602 - FIX_2_562915447)
                             + <int32_t>s7 * (FIX_1_175875602 - FIX_0_390180644)
                             + (1 << (CONST_BITS + PASS1_BITS - 1))) >> (CONST_BITS + PASS1_BITS))
        out[24] = <int16_t>((<int32_t>s4 * (FIX_1_175875602 - FIX_1_961570560)
                             + <int32_t>s5 * (FIX_1_175875602 - FIX_2_562915447)
                             + <int32_t>s6 * (FIX_3_072711026 - FIX_2_562915447 - FIX_1_961570560 + FIX_1_175875602)
                             + <int32_t>s7 * FIX_1_175875602
                             + (1 << (CONST_BITS + PASS1_BITS - 1))) >> (CONST_BITS + PASS1_BITS))
        out[8] = <int16_t>((<int32_t>s4 * (FIX_1_175875602 - FIX_0_899976223)
                            + <int32_t>s5 * (FIX_1_175875602 - FIX_0_390180644)
                            + <int32_t>s6 * FIX_1_175875602
                            + <int32_t>s7 * (FIX_1_501321110 - FIX_0_899976223 - FIX_0_390180644 + FIX_1_175875602)
                            + (1 << (CONST_BITS + PASS1_BITS - 1))) >> (CONST_BITS + PASS1_BITS))
