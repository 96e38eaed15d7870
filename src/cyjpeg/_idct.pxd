# Inverse DCT of one 8x8 block with dequantization, level shift and clamping to 0..255 (T.81 A.3.3).
#
# Owns: the accurate integer IDCT that libjpeg calls "islow" (the Loeffler-Ligtenberg-Moschytz factorisation
# with 13-bit constants, columns first and then rows), reproduced in the arithmetic of libjpeg-turbo's x86 SIMD
# kernel so the pixels match Pillow's bit for bit, including the 16-bit overflow of corrupt blocks (below);
# and a DC-only shortcut that gives the same values.
# Also the reduced transforms for scaled decoding (4x4, 2x2, 1x1 outputs from the 8x8 coefficients), so that
# decode(scale=2/4/8) gives the bytes of Pillow's draft(): jidctred.c's 4-point (2-point) IDCT, built from the
# even/odd split of the 8-point one and using only the coefficients that reach the reduced outputs (row and
# column 4, and 2, 4, 6 for 2x2, do not), computed as libjpeg-turbo's SIMD kernels compute it (in SSE2 lanes
# too where the build has them); the 1x1 as its C code does.
# Does not own: where blocks come from (entropy decoding, a progressive coefficient buffer) or go.
from libc.stdint cimport uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t
from libc.string cimport memset

cdef extern from "_idct_simd.h":
    # 1 when done (every block); 0 where the build has no SSE2 kernel (not x86-64).
    int cy_idct_islow_sse2(const int16_t* coef, const uint16_t* quant, uint8_t* out,
                           Py_ssize_t stride) noexcept nogil
    # The 4x4 reduced transform in SSE2 lanes (libjpeg-turbo's arithmetic, see idct_4x4_scalar below): 1 when
    # done, 0 where the build has no SSE2 kernel.
    int cy_idct_4x4_sse2(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil
    # The 2x2 one likewise (see idct_2x2_scalar below).
    int cy_idct_2x2_sse2(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil
    # Zero a block's 64 coefficients (SSE2 stores where there are, else memset).
    void cy_clear_block(int16_t* coef) noexcept nogil
    # Two blocks at once, each as cy_idct_islow_sse2 would give it: only where the CPU has AVX2 (the decoder's
    # AVX2 twin, or after checking cy_cpu_has_avx2). 0 where the build has no AVX2 twin.
    int cy_idct_islow_avx2_pair(const int16_t* coef_a, const uint16_t* quant_a, uint8_t* out_a, Py_ssize_t stride_a,
                                const int16_t* coef_b, const uint16_t* quant_b, uint8_t* out_b,
                                Py_ssize_t stride_b) noexcept nogil

from cyjpeg._dct_constants cimport *

cdef enum:
    # The reduced transforms' odd-part constants (sums of the 8-point rotations at the reduced sample points).
    FIX_0_211164243 = 1730         # 0.211164243 * 2**13
    FIX_0_509795579 = 4176         # 0.509795579 * 2**13
    FIX_0_601344887 = 4926         # 0.601344887 * 2**13
    FIX_0_720959822 = 5906         # 0.720959822 * 2**13
    FIX_0_850430095 = 6967         # 0.850430095 * 2**13
    FIX_1_061594337 = 8697         # 1.061594337 * 2**13
    FIX_1_272758580 = 10426        # 1.272758580 * 2**13
    FIX_1_451774981 = 11893        # 1.451774981 * 2**13
    FIX_2_172734803 = 17799        # 2.172734803 * 2**13
    FIX_3_624509785 = 29692        # 3.624509785 * 2**13


cdef inline uint8_t idct_clamp(int64_t value) noexcept nogil:
    # Level shift (+128, T.81 A.3.1) and clamp to 0..255, as libjpeg-turbo's SIMD IDCT saturates (packsswb).
    cdef int64_t sample = value + 128
    if sample < 0:
        return 0
    if sample > 255:
        return 255
    return <uint8_t>sample


# The 8x8 transform computes in the arithmetic of libjpeg-turbo's x86 SIMD islow IDCT (jidctint-avx2.asm), which
# is what Pillow runs on x86-64. For the blocks of a valid file that is plain integer arithmetic; a corrupt
# file can overflow its 16-bit lanes, and the pixels Pillow shows for such a block come from these 16-bit
# steps (and from nothing else: every 32-bit sum stays below 1.86e9, see _idct_simd.h):
#   - dequantization is a 16-bit multiply (pmullw): coef * Q keeps its low 16 bits;
#   - in0 + in4, in0 - in4 (even part) and in7 + in3, in5 + in1 (odd part's z3, z4) are 16-bit adds;
#   - each pass's outputs are packed to int16 with saturation (packssdw);
#   - when rows 1..7 of the coefficients are all zero, pass 1 is skipped: every column is (coef * Q) << 2
#     in 16 bits (a wrapping shift, where the full pass would saturate).
# The SSE2 kernel (_idct_simd.h) computes in the same 16-bit lanes, so both paths give the same bytes for any
# input.

cdef inline int32_t wrap16(int32_t value) noexcept nogil:
    # The low 16 bits read as a signed number: what a 16-bit SIMD lane keeps of an add or multiply.
    return <int16_t><uint16_t>(<uint32_t>value & 0xFFFF)


cdef inline int32_t saturate16(int32_t value) noexcept nogil:
    if value > 32767:
        return 32767
    if value < -32768:
        return -32768
    return value


cdef inline int32_t dequantize16(const int16_t* coef, const uint16_t* quant, int k) noexcept nogil:
    # coef[k] * Q as a 16-bit SIMD multiply (pmullw) keeps it: the low 16 bits, signed.
    return wrap16(<int32_t>coef[k] * quant[k])


cdef inline uint8_t dc_only_sample(const int16_t* coef, const uint16_t* quant) noexcept nogil:
    # The one sample of a block with only its DC set, in the 8x8 and 4x4 transforms alike: pass 1 is the 16-bit
    # shortcut (wrap16(wrap16(coef * Q) * 4)), pass 2 a descale of its even term by 2**5 (that term is a
    # multiple of 2**13 or 2**14, so no 32-bit lane wraps).
    cdef int32_t dc = wrap16(dequantize16(coef, quant, 0) * (1 << PASS1_BITS))
    return idct_clamp((dc + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3))


cdef inline void idct_dc_only(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil:
    # Only the DC coefficient is set: every sample is the same.
    cdef uint8_t sample = dc_only_sample(coef, quant)
    cdef int row, col
    for row in range(8):
        for col in range(8):
            out[row * stride + col] = sample


cdef inline void idct_islow(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil:
    # coef: 64 quantized coefficients in natural order; quant: the table in natural order.
    # On x86-64 the same arithmetic runs in SSE2 lanes (_idct_simd.h); elsewhere in the scalar loops below.
    if cy_idct_islow_sse2(coef, quant, out, stride):
        return
    idct_islow_scalar(coef, quant, out, stride)


cdef inline void idct_pass_16bit(const int32_t* inp, Py_ssize_t in_step, int32_t* outp, Py_ssize_t out_step,
                                 int shift) noexcept nogil:
    # One 8-point pass of the islow IDCT (jidctint.c's factorisation) on int16-range inputs inp[k * in_step],
    # with the 16-bit adds of the SIMD code, writing saturate16((sum + 2**(shift-1)) >> shift) to outp.
    cdef int32_t in0 = inp[0], in1 = inp[in_step], in2 = inp[2 * in_step], in3 = inp[3 * in_step]
    cdef int32_t in4 = inp[4 * in_step], in5 = inp[5 * in_step], in6 = inp[6 * in_step], in7 = inp[7 * in_step]
    cdef int32_t z1, z2, z3, z4, z5, tmp0, tmp1, tmp2, tmp3, tmp10, tmp11, tmp12, tmp13
    cdef int32_t rounding = 1 << (shift - 1)
    # Even part: the rotator is sqrt(2) * c(-6).
    z1 = (in2 + in6) * FIX_0_541196100
    tmp2 = z1 + in6 * (-FIX_1_847759065)
    tmp3 = z1 + in2 * FIX_0_765366865
    tmp0 = wrap16(in0 + in4) * (1 << CONST_BITS)
    tmp1 = wrap16(in0 - in4) * (1 << CONST_BITS)
    tmp10 = tmp0 + tmp3 + rounding
    tmp13 = tmp0 - tmp3 + rounding
    tmp11 = tmp1 + tmp2 + rounding
    tmp12 = tmp1 - tmp2 + rounding
    # Odd part (inputs 7, 5, 3, 1); only z3 and z4 are 16-bit sums in the SIMD code.
    z1 = in7 + in1
    z2 = in5 + in3
    z3 = wrap16(in7 + in3)
    z4 = wrap16(in5 + in1)
    z5 = (z3 + z4) * FIX_1_175875602
    z1 = z1 * (-FIX_0_899976223)
    z2 = z2 * (-FIX_2_562915447)
    z3 = z3 * (-FIX_1_961570560) + z5
    z4 = z4 * (-FIX_0_390180644) + z5
    tmp0 = in7 * FIX_0_298631336 + z1 + z3
    tmp1 = in5 * FIX_2_053119869 + z2 + z4
    tmp2 = in3 * FIX_3_072711026 + z2 + z3
    tmp3 = in1 * FIX_1_501321110 + z1 + z4
    outp[0] = saturate16((tmp10 + tmp3) >> shift)
    outp[7 * out_step] = saturate16((tmp10 - tmp3) >> shift)
    outp[out_step] = saturate16((tmp11 + tmp2) >> shift)
    outp[6 * out_step] = saturate16((tmp11 - tmp2) >> shift)
    outp[2 * out_step] = saturate16((tmp12 + tmp1) >> shift)
    outp[5 * out_step] = saturate16((tmp12 - tmp1) >> shift)
    outp[3 * out_step] = saturate16((tmp13 + tmp0) >> shift)
    outp[4 * out_step] = saturate16((tmp13 - tmp0) >> shift)


cdef inline void idct_islow_scalar(const int16_t* coef, const uint16_t* quant, uint8_t* out,
                                   Py_ssize_t stride) noexcept nogil:
    # The portable transform, in 32-bit integers with the 16-bit steps listed above: for any input the bytes of
    # libjpeg-turbo's SIMD IDCT and of the SSE2 kernel.
    cdef int32_t dequantized[64]
    cdef int32_t workspace[64]
    cdef int32_t row_out[8]
    cdef int32_t dcval
    cdef int col, row, k
    cdef int16_t ac_rows = 0
    cdef uint8_t sample
    cdef uint8_t* outp
    for k in range(64):
        dequantized[k] = dequantize16(coef, quant, k)
    for k in range(8, 64):
        ac_rows |= coef[k]
    # Pass 1: columns. Results are scaled up by sqrt(8) and by 2**PASS1_BITS.
    for col in range(8):
        if ac_rows == 0:
            # The SIMD shortcut for a block without rows 1..7: a 16-bit (wrapping) shift of the dequantized row 0.
            dcval = wrap16(dequantized[col] * (1 << PASS1_BITS))
            for row in range(8):
                workspace[row * 8 + col] = dcval
        elif (coef[col + 8] | coef[col + 16] | coef[col + 24] | coef[col + 32] | coef[col + 40] | coef[col + 48]
              | coef[col + 56]) == 0:
            # No AC terms in this column: the full pass gives the scaled DC term, saturated.
            dcval = saturate16(dequantized[col] * (1 << PASS1_BITS))
            for row in range(8):
                workspace[row * 8 + col] = dcval
        else:
            idct_pass_16bit(dequantized + col, 8, workspace + col, 8, CONST_BITS - PASS1_BITS)
    # Pass 2: rows. Descale by 2**(CONST_BITS + PASS1_BITS + 3): the 3 removes the sqrt(8) of both passes.
    for row in range(8):
        outp = out + row * stride
        if (workspace[row * 8 + 1] | workspace[row * 8 + 2] | workspace[row * 8 + 3] | workspace[row * 8 + 4]
                | workspace[row * 8 + 5] | workspace[row * 8 + 6] | workspace[row * 8 + 7]) == 0:
            sample = idct_clamp((workspace[row * 8] + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3))
            for col in range(8):
                outp[col] = sample
            continue
        idct_pass_16bit(workspace + row * 8, 1, row_out, 1, CONST_BITS + PASS1_BITS + 3)
        for col in range(8):
            outp[col] = idct_clamp(row_out[col])


cdef inline int64_t descale(int64_t value, int shift) noexcept nogil:
    # Divide by 2**shift rounding half up (libjpeg's DESCALE).
    return (value + (<int64_t>1 << (shift - 1))) >> shift


cdef inline uint8_t idct_range_limit(int64_t value) noexcept nogil:
    # The level shift and range limit of libjpeg's C inverse DCTs: a lookup in jdmaster.c's sample_range_limit
    # table at value & 1023. That is the clamp for values in -512..511; beyond, the table repeats every 1024
    # (512..895 give 0, 1024 gives 128), which only a damaged DC reaches. Of the transforms cyjpeg mirrors,
    # only the 1x1 runs this C code in Pillow's libjpeg-turbo; the others are its SIMD ones, which saturate
    # (idct_clamp).
    # Without branches (a photo's means fall either side of 0 at random): t is the table index rotated by the
    # level shift, 0..255 the samples, 256..639 the clamp to 255, 640..1023 the clamp (and wrap) to 0.
    cdef int t = <int>((value + 128) & 1023)
    cdef int limited = t if t < 255 else 255
    return <uint8_t>(limited & -(<int>(t < 640)))


cdef inline uint8_t idct_1x1_sample(int16_t dc, uint16_t quant) noexcept nogil:
    # Scale 1/8: the block's mean, DC * Q / 8, as libjpeg's jpeg_idct_1x1 computes it. Its dequantization
    # table holds Q as a 16-bit signed multiplier (libjpeg-turbo's SIMD builds), so a Q above 32767 counts
    # as Q - 65536.
    return idct_range_limit(descale(<int64_t>dc * <int16_t>quant, 3))


cdef inline void idct_1x1(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil:
    out[0] = idct_1x1_sample(coef[0], quant[0])


# The reduced transforms compute in the arithmetic of libjpeg-turbo's x86 SIMD kernels (jidctred-sse2.asm), which
# Pillow runs for draft() at 1/2 and 1/4. For a valid file that is jidctred.c's integer arithmetic; a corrupt
# file or a hostile quantization table reaches the lane limits, and then these steps decide the pixels:
#   - dequantization is a 16-bit multiply (coef * Q keeps its low 16 bits);
#   - sums are 32-bit and wrap (a 4-point output can reach 2.5e9, a 2-point one 2.8e9), as does the 2x2
#     transform's even term, shifted left in 32 bits between its passes;
#   - the 4x4 transform packs each pass's outputs to int16 with saturation; the 2x2 one packs only the odd
#     terms its second pass multiplies;
#   - the 4x4 transform skips pass 1 when rows 1, 2, 3, 5, 6 and 7 are zero: every column is (coef * Q) << 2
#     in 16 bits (a wrapping shift, where the full pass would saturate).
# Outputs are level-shifted and clamped to 0..255 (idct_clamp) as the kernels' packsswb and +128 do.

cdef inline int32_t wrap32(int64_t value) noexcept nogil:
    # The low 32 bits read as a signed number: what a 32-bit SIMD lane keeps of a sum or a left shift.
    return <int32_t><uint32_t><uint64_t>value


cdef inline int32_t lane_descale(int64_t value, int shift) noexcept nogil:
    # value + 2**(shift-1) in a 32-bit lane, then an arithmetic shift right (paddd, psrad).
    return wrap32(value + (<int64_t>1 << (shift - 1))) >> shift


cdef inline void idct_4point(int32_t in0, int32_t in1, int32_t in2, int32_t in3, int32_t in5, int32_t in6,
                             int32_t in7, int shift, int32_t* out, Py_ssize_t step) noexcept nogil:
    # One pass of the 4x4 transform on int16 inputs (input 4 does not reach the even 4-point outputs):
    # out[k * step] = saturate16 of output k, descaled by 2**shift in 32-bit lanes.
    cdef int64_t even0 = <int64_t>in0 * (1 << (CONST_BITS + 1))
    cdef int64_t even2 = <int64_t>in2 * FIX_1_847759065 - <int64_t>in6 * FIX_0_765366865
    cdef int64_t odd0 = (-<int64_t>in7 * FIX_0_211164243 + <int64_t>in5 * FIX_1_451774981
                         - <int64_t>in3 * FIX_2_172734803 + <int64_t>in1 * FIX_1_061594337)
    cdef int64_t odd2 = (-<int64_t>in7 * FIX_0_509795579 - <int64_t>in5 * FIX_0_601344887
                         + <int64_t>in3 * FIX_0_899976223 + <int64_t>in1 * FIX_2_562915447)
    out[0] = saturate16(lane_descale(even0 + even2 + odd2, shift))
    out[3 * step] = saturate16(lane_descale(even0 + even2 - odd2, shift))
    out[step] = saturate16(lane_descale(even0 - even2 + odd0, shift))
    out[2 * step] = saturate16(lane_descale(even0 - even2 - odd0, shift))


cdef inline void idct_4x4_scalar(const int16_t* coef, const uint16_t* quant, uint8_t* out,
                                 Py_ssize_t stride) noexcept nogil:
    # Scale 1/2: 4x4 samples from the low-frequency 4x8 / 8x4 coefficients (row and column 4 do not
    # contribute to the even 4-point outputs and go unused). The portable form of cy_idct_4x4_sse2.
    cdef int32_t deq[64]
    cdef int32_t workspace[32]      # pass 1: 4 rows of 8 columns (column 4 unused)
    cdef int32_t samples[4]
    cdef int32_t value
    cdef int16_t ac_rows = 0
    cdef int col, row, k
    cdef const int32_t* ws
    for k in range(64):
        deq[k] = dequantize16(coef, quant, k)
    for k in range(8, 32):
        ac_rows |= coef[k]
    for k in range(40, 64):
        ac_rows |= coef[k]
    for col in range(8):
        if ac_rows == 0:
            value = wrap16(deq[col] * (1 << PASS1_BITS))
            workspace[col] = value; workspace[8 + col] = value; workspace[16 + col] = value
            workspace[24 + col] = value
        else:
            idct_4point(deq[col], deq[8 + col], deq[16 + col], deq[24 + col], deq[40 + col], deq[48 + col],
                        deq[56 + col], CONST_BITS - PASS1_BITS + 1, workspace + col, 8)
    for row in range(4):
        ws = workspace + row * 8
        idct_4point(ws[0], ws[1], ws[2], ws[3], ws[5], ws[6], ws[7], CONST_BITS + PASS1_BITS + 3 + 1, samples, 1)
        for col in range(4):
            out[row * stride + col] = idct_clamp(samples[col])


cdef inline void idct_4x4_dc_only(const int16_t* coef, const uint16_t* quant, uint8_t* out,
                                  Py_ssize_t stride) noexcept nogil:
    # Only the DC coefficient is set: 16 equal samples.
    cdef uint8_t sample = dc_only_sample(coef, quant)
    cdef int row
    for row in range(4):
        memset(out + row * stride, sample, 4)


cdef inline void idct_4x4(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil:
    # In SSE2 lanes where the build has them (_idct_simd.h), else in the scalar form: the same bytes for any input.
    if cy_idct_4x4_sse2(coef, quant, out, stride):
        return
    idct_4x4_scalar(coef, quant, out, stride)


cdef inline int32_t idct_2point_pass1(int32_t in0, int32_t in1, int32_t in3, int32_t in5, int32_t in7,
                                      int32_t* second) noexcept nogil:
    # Pass 1 of the 2x2 transform down one column (dequantized int16 inputs; rows 2, 4, 6 do not reach a
    # 2-point output): returns output 0, writes output 1 to `second`; 32-bit, not saturated.
    cdef int64_t even = <int64_t>in0 * (1 << (CONST_BITS + 2))
    cdef int64_t odd = (<int64_t>in1 * FIX_3_624509785 - <int64_t>in3 * FIX_1_272758580
                        + <int64_t>in5 * FIX_0_850430095 - <int64_t>in7 * FIX_0_720959822)
    second[0] = lane_descale(even - odd, CONST_BITS - PASS1_BITS + 2)
    return lane_descale(even + odd, CONST_BITS - PASS1_BITS + 2)


cdef inline void idct_2point_pass2(int32_t w0, int32_t w1, int32_t w3, int32_t w5, int32_t w7,
                                   uint8_t* out) noexcept nogil:
    # Pass 2 along one row of pass 1's outputs: the even term shifted left in 32 bits, the odd ones packed
    # to int16 before their products; two samples.
    cdef int64_t even = wrap32(<int64_t>w0 * (1 << (CONST_BITS + 2)))
    cdef int64_t odd = (<int64_t>saturate16(w1) * FIX_3_624509785 - <int64_t>saturate16(w3) * FIX_1_272758580
                        + <int64_t>saturate16(w5) * FIX_0_850430095 - <int64_t>saturate16(w7) * FIX_0_720959822)
    out[0] = idct_clamp(lane_descale(even + odd, CONST_BITS + PASS1_BITS + 3 + 2))
    out[1] = idct_clamp(lane_descale(even - odd, CONST_BITS + PASS1_BITS + 3 + 2))


cdef inline void idct_2x2_column(const int16_t* coef, const uint16_t* quant, int col, int32_t* row0,
                                 int32_t* row1) noexcept nogil:
    row0[col] = idct_2point_pass1(dequantize16(coef, quant, col), dequantize16(coef, quant, 8 + col),
                                  dequantize16(coef, quant, 24 + col), dequantize16(coef, quant, 40 + col),
                                  dequantize16(coef, quant, 56 + col), &row1[col])


cdef inline void idct_2x2(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil:
    # In SSE2 lanes where the build has them (_idct_simd.h), else in the scalar form: the same bytes for any input.
    if cy_idct_2x2_sse2(coef, quant, out, stride):
        return
    idct_2x2_scalar(coef, quant, out, stride)


cdef inline void idct_2x2_scalar(const int16_t* coef, const uint16_t* quant, uint8_t* out,
                                 Py_ssize_t stride) noexcept nogil:
    # Scale 1/4: 2x2 samples; only the DC and the odd coefficients 1, 3, 5, 7 of each row and column
    # contribute to a 2-point output. No test for zero columns or rows: a photo's blocks take one way or the
    # other at random, and libjpeg-turbo's kernel has none either.
    cdef int32_t row0[8]            # pass 1's two outputs of columns 0, 1, 3, 5, 7
    cdef int32_t row1[8]
    idct_2x2_column(coef, quant, 0, row0, row1)
    idct_2x2_column(coef, quant, 1, row0, row1)
    idct_2x2_column(coef, quant, 3, row0, row1)
    idct_2x2_column(coef, quant, 5, row0, row1)
    idct_2x2_column(coef, quant, 7, row0, row1)
    idct_2point_pass2(row0[0], row0[1], row0[3], row0[5], row0[7], out)
    idct_2point_pass2(row1[0], row1[1], row1[3], row1[5], row1[7], out + stride)


cdef inline void idct_2x2_low(const int16_t* coef, const uint16_t* quant, uint8_t* out,
                              Py_ssize_t stride) noexcept nogil:
    # idct_2x2 for a block whose coefficients end at zigzag position 4 or before: of those the 2x2 transform
    # reads only (0,0), (0,1), (1,0) and (1,1), so columns 3, 5, 7 and rows 3, 5, 7 are zero.
    cdef int32_t a1, b1, a0, b0
    a0 = idct_2point_pass1(dequantize16(coef, quant, 0), dequantize16(coef, quant, 8), 0, 0, 0, &b0)
    a1 = idct_2point_pass1(dequantize16(coef, quant, 1), dequantize16(coef, quant, 9), 0, 0, 0, &b1)
    idct_2point_pass2(a0, a1, 0, 0, 0, out)
    idct_2point_pass2(b0, b1, 0, 0, 0, out + stride)


cdef inline void fill_2x2(uint8_t* out, Py_ssize_t stride, uint8_t sample) noexcept nogil:
    out[0] = sample
    out[1] = sample
    out[stride] = sample
    out[stride + 1] = sample


cdef inline uint8_t idct_2x2_dc_sample(int16_t dc, uint16_t quant) noexcept nogil:
    # The 2x2 transform of a block with only its DC set: four equal samples, (DC * Q) / 8 in the kernel's
    # lanes (pass 1 gives 4 * wrap16(DC * Q) exactly; pass 2 shifts that left by 15 in 32 bits).
    cdef int64_t pass1 = <int64_t>wrap16(<int32_t>dc * quant) * 4
    return idct_clamp(lane_descale(wrap32(pass1 * (1 << (CONST_BITS + 2))), CONST_BITS + PASS1_BITS + 3 + 2))


cdef inline void idct_scaled(int block_size, int dc_only, const int16_t* coef, const uint16_t* quant, uint8_t* out,
                             Py_ssize_t stride) noexcept nogil:
    # One block at `block_size` (8, 4, 2 or 1) samples a side; dc_only: no AC coefficient is set.
    if block_size == 8:
        if dc_only:
            idct_dc_only(coef, quant, out, stride)
        else:
            idct_islow(coef, quant, out, stride)
    elif block_size == 4:
        if dc_only:
            idct_4x4_dc_only(coef, quant, out, stride)
        else:
            idct_4x4(coef, quant, out, stride)
    elif block_size == 2:
        if dc_only:
            fill_2x2(out, stride, idct_2x2_dc_sample(coef[0], quant[0]))
        else:
            idct_2x2(coef, quant, out, stride)
    else:
        idct_1x1(coef, quant, out, stride)
