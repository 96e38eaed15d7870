# Inverse DCT of one 8x8 block with dequantization, level shift and clamping to 0..255 (T.81 A.3.3).
#
# Owns: the accurate integer IDCT that libjpeg calls "islow" (the Loeffler-Ligtenberg-Moschytz factorisation
# with 13-bit constants, columns first and then rows), reproduced in its arithmetic so the pixels match
# libjpeg's bit for bit, including its range limiting (the result is taken modulo 1024 before clamping, as
# libjpeg's range_limit table does); and a DC-only shortcut that gives the same values.
# Also the reduced transforms for scaled decoding (4x4, 2x2, 1x1 outputs from the 8x8 coefficients), in the
# arithmetic of libjpeg's jidctred.c so that decode(scale=2/4/8) matches libjpeg's scaled output: a 4-point
# (2-point) IDCT built from the even/odd split of the 8-point one, reading only the coefficients that
# contribute to the reduced outputs (row/column 4, and 2, 4, 6 for 2x2, are never read).
# Does not own: where blocks come from (entropy decoding, a progressive coefficient buffer) or go.
from libc.stdint cimport uint8_t, int16_t, uint16_t, int64_t

# Fixed-point constants: round(c * 2**13) for the rotations of the factorisation.
cdef enum:
    CONST_BITS = 13
    PASS1_BITS = 2                 # extra precision kept between the column and row passes
    FIX_0_298631336 = 2446         # 0.298631336 * 2**13
    FIX_0_390180644 = 3196         # 0.390180644 * 2**13
    FIX_0_541196100 = 4433         # 0.541196100 * 2**13
    FIX_0_765366865 = 6270         # 0.765366865 * 2**13
    FIX_0_899976223 = 7373         # 0.899976223 * 2**13
    FIX_1_175875602 = 9633         # 1.175875602 * 2**13
    FIX_1_501321110 = 12299        # 1.501321110 * 2**13
    FIX_1_847759065 = 15137        # 1.847759065 * 2**13
    FIX_1_961570560 = 16069        # 1.961570560 * 2**13
    FIX_2_053119869 = 16819        # 2.053119869 * 2**13
    FIX_2_562915447 = 20995        # 2.562915447 * 2**13
    FIX_3_072711026 = 25172        # 3.072711026 * 2**13
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
    # libjpeg indexes a 1024-entry table with (value & 1023): the value is read as a 10-bit signed number,
    # level-shifted by +128 (T.81 A.3.1) and clamped to 0..255. Out-of-range values only come from
    # corrupt data; wrapping them the same way keeps us identical to libjpeg even then.
    cdef int64_t sample = value + 128
    if sample < 0:
        return 0
    if sample > 255:
        return 255
    return <uint8_t>sample


cdef inline void idct_dc_only(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil:
    # Only the DC coefficient is set: every sample is the same. This is what the full transform below
    # computes for such a block (the column pass gives dc << PASS1_BITS, the row pass descales by 2**5).
    cdef int64_t dc = <int64_t>coef[0] * quant[0]
    cdef uint8_t sample = idct_clamp((dc * (1 << PASS1_BITS) + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3))
    cdef int row, col
    for row in range(8):
        for col in range(8):
            out[row * stride + col] = sample


cdef inline void idct_islow(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil:
    # coef: 64 quantized coefficients in natural order; quant: the table in natural order.
    cdef int64_t workspace[64]
    cdef int64_t z1, z2, z3, z4, z5, tmp0, tmp1, tmp2, tmp3, tmp10, tmp11, tmp12, tmp13, dcval
    cdef int col, row
    cdef const int16_t* inp
    cdef const uint16_t* qp
    cdef int64_t* ws
    cdef uint8_t* outp
    # Pass 1: columns. Results are scaled up by sqrt(8) and by 2**PASS1_BITS.
    for col in range(8):
        inp = coef + col
        qp = quant + col
        ws = workspace + col
        if (inp[8] | inp[16] | inp[24] | inp[32] | inp[40] | inp[48] | inp[56]) == 0:
            # No AC terms in this column: all eight outputs equal the scaled DC term.
            dcval = (<int64_t>inp[0] * qp[0]) * (1 << PASS1_BITS)
            ws[0] = dcval; ws[8] = dcval; ws[16] = dcval; ws[24] = dcval
            ws[32] = dcval; ws[40] = dcval; ws[48] = dcval; ws[56] = dcval
            continue
        # Even part: the rotator is sqrt(2) * c(-6).
        z2 = <int64_t>inp[16] * qp[16]
        z3 = <int64_t>inp[48] * qp[48]
        z1 = (z2 + z3) * FIX_0_541196100
        tmp2 = z1 + z3 * (-FIX_1_847759065)
        tmp3 = z1 + z2 * FIX_0_765366865
        z2 = <int64_t>inp[0] * qp[0]
        z3 = <int64_t>inp[32] * qp[32]
        tmp0 = (z2 + z3) * (1 << CONST_BITS)
        tmp1 = (z2 - z3) * (1 << CONST_BITS)
        tmp10 = tmp0 + tmp3
        tmp13 = tmp0 - tmp3
        tmp11 = tmp1 + tmp2
        tmp12 = tmp1 - tmp2
        # Odd part (inputs 7, 5, 3, 1).
        tmp0 = <int64_t>inp[56] * qp[56]
        tmp1 = <int64_t>inp[40] * qp[40]
        tmp2 = <int64_t>inp[24] * qp[24]
        tmp3 = <int64_t>inp[8] * qp[8]
        z1 = tmp0 + tmp3
        z2 = tmp1 + tmp2
        z3 = tmp0 + tmp2
        z4 = tmp1 + tmp3
        z5 = (z3 + z4) * FIX_1_175875602
        tmp0 = tmp0 * FIX_0_298631336
        tmp1 = tmp1 * FIX_2_053119869
        tmp2 = tmp2 * FIX_3_072711026
        tmp3 = tmp3 * FIX_1_501321110
        z1 = z1 * (-FIX_0_899976223)
        z2 = z2 * (-FIX_2_562915447)
        z3 = z3 * (-FIX_1_961570560) + z5
        z4 = z4 * (-FIX_0_390180644) + z5
        tmp0 += z1 + z3
        tmp1 += z2 + z4
        tmp2 += z2 + z3
        tmp3 += z1 + z4
        # Descale by 2**(CONST_BITS - PASS1_BITS) with rounding.
        ws[0] = (tmp10 + tmp3 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        ws[56] = (tmp10 - tmp3 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        ws[8] = (tmp11 + tmp2 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        ws[48] = (tmp11 - tmp2 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        ws[16] = (tmp12 + tmp1 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        ws[40] = (tmp12 - tmp1 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        ws[24] = (tmp13 + tmp0 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
        ws[32] = (tmp13 - tmp0 + (1 << (CONST_BITS - PASS1_BITS - 1))) >> (CONST_BITS - PASS1_BITS)
    # Pass 2: rows. Descale by 2**(CONST_BITS + PASS1_BITS + 3): the 3 removes the sqrt(8) of both passes.
    for row in range(8):
        ws = workspace + row * 8
        outp = out + row * stride
        if (ws[1] | ws[2] | ws[3] | ws[4] | ws[5] | ws[6] | ws[7]) == 0:
            dcval = idct_clamp((ws[0] + (1 << (PASS1_BITS + 2))) >> (PASS1_BITS + 3))
            outp[0] = dcval; outp[1] = dcval; outp[2] = dcval; outp[3] = dcval
            outp[4] = dcval; outp[5] = dcval; outp[6] = dcval; outp[7] = dcval
            continue
        z2 = ws[2]
        z3 = ws[6]
        z1 = (z2 + z3) * FIX_0_541196100
        tmp2 = z1 + z3 * (-FIX_1_847759065)
        tmp3 = z1 + z2 * FIX_0_765366865
        tmp0 = (ws[0] + ws[4]) * (1 << CONST_BITS)
        tmp1 = (ws[0] - ws[4]) * (1 << CONST_BITS)
        tmp10 = tmp0 + tmp3
        tmp13 = tmp0 - tmp3
        tmp11 = tmp1 + tmp2
        tmp12 = tmp1 - tmp2
        tmp0 = ws[7]
        tmp1 = ws[5]
        tmp2 = ws[3]
        tmp3 = ws[1]
        z1 = tmp0 + tmp3
        z2 = tmp1 + tmp2
        z3 = tmp0 + tmp2
        z4 = tmp1 + tmp3
        z5 = (z3 + z4) * FIX_1_175875602
        tmp0 = tmp0 * FIX_0_298631336
        tmp1 = tmp1 * FIX_2_053119869
        tmp2 = tmp2 * FIX_3_072711026
        tmp3 = tmp3 * FIX_1_501321110
        z1 = z1 * (-FIX_0_899976223)
        z2 = z2 * (-FIX_2_562915447)
        z3 = z3 * (-FIX_1_961570560) + z5
        z4 = z4 * (-FIX_0_390180644) + z5
        tmp0 += z1 + z3
        tmp1 += z2 + z4
        tmp2 += z2 + z3
        tmp3 += z1 + z4
        outp[0] = idct_clamp((tmp10 + tmp3 + (1 << (CONST_BITS + PASS1_BITS + 2))) >> (CONST_BITS + PASS1_BITS + 3))
        outp[7] = idct_clamp((tmp10 - tmp3 + (1 << (CONST_BITS + PASS1_BITS + 2))) >> (CONST_BITS + PASS1_BITS + 3))
        outp[1] = idct_clamp((tmp11 + tmp2 + (1 << (CONST_BITS + PASS1_BITS + 2))) >> (CONST_BITS + PASS1_BITS + 3))
        outp[6] = idct_clamp((tmp11 - tmp2 + (1 << (CONST_BITS + PASS1_BITS + 2))) >> (CONST_BITS + PASS1_BITS + 3))
        outp[2] = idct_clamp((tmp12 + tmp1 + (1 << (CONST_BITS + PASS1_BITS + 2))) >> (CONST_BITS + PASS1_BITS + 3))
        outp[5] = idct_clamp((tmp12 - tmp1 + (1 << (CONST_BITS + PASS1_BITS + 2))) >> (CONST_BITS + PASS1_BITS + 3))
        outp[3] = idct_clamp((tmp13 + tmp0 + (1 << (CONST_BITS + PASS1_BITS + 2))) >> (CONST_BITS + PASS1_BITS + 3))
        outp[4] = idct_clamp((tmp13 - tmp0 + (1 << (CONST_BITS + PASS1_BITS + 2))) >> (CONST_BITS + PASS1_BITS + 3))


cdef inline int64_t descale(int64_t value, int shift) noexcept nogil:
    # Divide by 2**shift rounding half up (libjpeg's DESCALE).
    return (value + (<int64_t>1 << (shift - 1))) >> shift


cdef inline void idct_1x1(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil:
    # Scale 1/8: the block's mean, DC / 8, level-shifted.
    out[0] = idct_clamp(descale(<int64_t>coef[0] * quant[0], 3))


cdef inline void idct_4x4(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil:
    # Scale 1/2: 4x4 samples from the low-frequency 4x8 / 8x4 coefficients (coefficient 4 of each row and
    # column does not contribute to the even 4-point outputs and is skipped).
    cdef int64_t workspace[32]
    cdef int64_t tmp0, tmp2, tmp10, tmp12, z1, z2, z3, z4, dcval
    cdef int col, row
    cdef const int16_t* inp
    cdef const uint16_t* qp
    cdef int64_t* ws
    cdef uint8_t* outp
    # Pass 1: columns 0..7 except 4 -> 4 rows of the workspace (stride 8).
    for col in range(8):
        if col == 4:
            continue
        inp = coef + col
        qp = quant + col
        ws = workspace + col
        if (inp[8] | inp[16] | inp[24] | inp[40] | inp[48] | inp[56]) == 0:
            dcval = (<int64_t>inp[0] * qp[0]) * (1 << PASS1_BITS)
            ws[0] = dcval; ws[8] = dcval; ws[16] = dcval; ws[24] = dcval
            continue
        tmp0 = (<int64_t>inp[0] * qp[0]) * (1 << (CONST_BITS + 1))
        tmp2 = (<int64_t>inp[16] * qp[16]) * FIX_1_847759065 - (<int64_t>inp[48] * qp[48]) * FIX_0_765366865
        tmp10 = tmp0 + tmp2
        tmp12 = tmp0 - tmp2
        z1 = <int64_t>inp[56] * qp[56]
        z2 = <int64_t>inp[40] * qp[40]
        z3 = <int64_t>inp[24] * qp[24]
        z4 = <int64_t>inp[8] * qp[8]
        tmp0 = -z1 * FIX_0_211164243 + z2 * FIX_1_451774981 - z3 * FIX_2_172734803 + z4 * FIX_1_061594337
        tmp2 = -z1 * FIX_0_509795579 - z2 * FIX_0_601344887 + z3 * FIX_0_899976223 + z4 * FIX_2_562915447
        ws[0] = descale(tmp10 + tmp2, CONST_BITS - PASS1_BITS + 1)
        ws[24] = descale(tmp10 - tmp2, CONST_BITS - PASS1_BITS + 1)
        ws[8] = descale(tmp12 + tmp0, CONST_BITS - PASS1_BITS + 1)
        ws[16] = descale(tmp12 - tmp0, CONST_BITS - PASS1_BITS + 1)
    # Pass 2: the 4 workspace rows -> 4 output samples each.
    for row in range(4):
        ws = workspace + row * 8
        outp = out + row * stride
        if (ws[1] | ws[2] | ws[3] | ws[5] | ws[6] | ws[7]) == 0:
            dcval = idct_clamp(descale(ws[0], PASS1_BITS + 3))
            outp[0] = dcval; outp[1] = dcval; outp[2] = dcval; outp[3] = dcval
            continue
        tmp0 = ws[0] * (1 << (CONST_BITS + 1))
        tmp2 = ws[2] * FIX_1_847759065 - ws[6] * FIX_0_765366865
        tmp10 = tmp0 + tmp2
        tmp12 = tmp0 - tmp2
        z1 = ws[7]
        z2 = ws[5]
        z3 = ws[3]
        z4 = ws[1]
        tmp0 = -z1 * FIX_0_211164243 + z2 * FIX_1_451774981 - z3 * FIX_2_172734803 + z4 * FIX_1_061594337
        tmp2 = -z1 * FIX_0_509795579 - z2 * FIX_0_601344887 + z3 * FIX_0_899976223 + z4 * FIX_2_562915447
        outp[0] = idct_clamp(descale(tmp10 + tmp2, CONST_BITS + PASS1_BITS + 3 + 1))
        outp[3] = idct_clamp(descale(tmp10 - tmp2, CONST_BITS + PASS1_BITS + 3 + 1))
        outp[1] = idct_clamp(descale(tmp12 + tmp0, CONST_BITS + PASS1_BITS + 3 + 1))
        outp[2] = idct_clamp(descale(tmp12 - tmp0, CONST_BITS + PASS1_BITS + 3 + 1))


cdef inline void idct_2x2(const int16_t* coef, const uint16_t* quant, uint8_t* out, Py_ssize_t stride) noexcept nogil:
    # Scale 1/4: 2x2 samples; only the DC and the odd coefficients 1, 3, 5, 7 of each row and column
    # contribute to a 2-point output.
    cdef int64_t workspace[16]
    cdef int64_t tmp0, tmp10, dcval
    cdef int col, row
    cdef const int16_t* inp
    cdef const uint16_t* qp
    cdef int64_t* ws
    cdef uint8_t* outp
    for col in range(8):
        if col == 2 or col == 4 or col == 6:
            continue
        inp = coef + col
        qp = quant + col
        ws = workspace + col
        if (inp[8] | inp[24] | inp[40] | inp[56]) == 0:
            dcval = (<int64_t>inp[0] * qp[0]) * (1 << PASS1_BITS)
            ws[0] = dcval; ws[8] = dcval
            continue
        tmp10 = (<int64_t>inp[0] * qp[0]) * (1 << (CONST_BITS + 2))
        tmp0 = (-(<int64_t>inp[56] * qp[56]) * FIX_0_720959822 + (<int64_t>inp[40] * qp[40]) * FIX_0_850430095
                - (<int64_t>inp[24] * qp[24]) * FIX_1_272758580 + (<int64_t>inp[8] * qp[8]) * FIX_3_624509785)
        ws[0] = descale(tmp10 + tmp0, CONST_BITS - PASS1_BITS + 2)
        ws[8] = descale(tmp10 - tmp0, CONST_BITS - PASS1_BITS + 2)
    for row in range(2):
        ws = workspace + row * 8
        outp = out + row * stride
        if (ws[1] | ws[3] | ws[5] | ws[7]) == 0:
            dcval = idct_clamp(descale(ws[0], PASS1_BITS + 3))
            outp[0] = dcval; outp[1] = dcval
            continue
        tmp10 = ws[0] * (1 << (CONST_BITS + 2))
        tmp0 = -ws[7] * FIX_0_720959822 + ws[5] * FIX_0_850430095 - ws[3] * FIX_1_272758580 + ws[1] * FIX_3_624509785
        outp[0] = idct_clamp(descale(tmp10 + tmp0, CONST_BITS + PASS1_BITS + 3 + 2))
        outp[1] = idct_clamp(descale(tmp10 - tmp0, CONST_BITS + PASS1_BITS + 3 + 2))


cdef inline void idct_scaled(int block_size, int dc_only, const int16_t* coef, const uint16_t* quant, uint8_t* out,
                             Py_ssize_t stride) noexcept nogil:
    # One block at `block_size` (8, 4, 2 or 1) samples a side; dc_only: no AC coefficient is set.
    if block_size == 8:
        if dc_only:
            idct_dc_only(coef, quant, out, stride)
        else:
            idct_islow(coef, quant, out, stride)
    elif block_size == 4:
        idct_4x4(coef, quant, out, stride)
    elif block_size == 2:
        idct_2x2(coef, quant, out, stride)
    else:
        idct_1x1(coef, quant, out, stride)
