# The arithmetic (QM-coder) entropy decoder for DCT scans (T.81 Annex D; F.1.4 and F.2.4 for sequential
# scans, G.1.3 and G.2 for progressive ones).
#
# Owns: the decoder registers (A, C, CT; T.81 D.2) fed from the entropy-coded bytes with 0xFF00 unstuffed and
# zeros fed once a marker or the end of the input is reached (D.2.6); the adaptive statistics areas (one byte
# per bin: MPS sense in bit 7, Table D.2 state in bits 0..6) and the conditioning parameters of DAC (L, U, Kx;
# B.2.4.3); decoding one DC difference (F.2.4.1, conditioned on the previous difference of the component) and
# the AC coefficients of a band (F.2.4.2, conditioned on Kx); and the four block routines of progressive scans
# (G.1.3: DC first and refinement, AC first and refinement).
# Does not own: the MCU walk, restart markers (the scan loop finds them through the BitReader embedded here,
# then resets statistics and restarts the decoder), dequantization or the inverse DCT.
# Hostile input: every statistics index below is bounded by construction (magnitude categories stop at 2**15,
# runs at Se), so garbage decodes to garbage or to a status < 0 and always terminates; the decoder reads no
# byte outside [pos, end) of the caller's buffer.
from libc.stdint cimport uint8_t, int16_t, uint32_t
from libc.string cimport memset
from cyjpeg._bitreader cimport BitReader
from cyjpeg._tables cimport ZIGZAG_TO_NATURAL, QM_STATES, QM_FIXED_STATE

cdef enum:
    # F.1.4.4.1: DC statistics of one table. Five conditioning categories of 4 bins (S0, SS, SP, SN) at
    # 0, 4, 8, 12, 16 (zero, small positive, small negative, large positive, large negative difference),
    # X1..X15 at 20..34 and M2..M15 at 35..48 (Mj sits 14 bins after Xj).
    ARITH_DC_BINS = 49
    ARITH_DC_X1 = 20
    # F.1.4.4.2: AC statistics of one table. Per zigzag index k = 1..63 three bins at 3 * (k - 1): SE (end
    # of block), S0 (zero or not) and one shared by SP, SN and X1; then X2..X15 and M2..M15 for k <= Kx at
    # 189..216 and for k > Kx at 217..244.
    ARITH_AC_BINS = 245
    ARITH_AC_LOW_X2 = 189
    ARITH_AC_HIGH_X2 = 217
    ARITH_MAGNITUDE_BINS = 14   # distance from bin Xj to Mj

    ARITH_OK = 0
    ARITH_MAGNITUDE = -6        # a magnitude category above 15 (F.2.4.3.1 has 15 X bins)
    ARITH_SPECTRAL = -7         # a zero run past the end of the band (Se)


ctypedef struct ArithConditioning:
    # B.2.4.3 (DAC), per table 0..3; the defaults of F.1.4.4.1.4 and F.1.4.4.2.1 are L = 0, U = 1, Kx = 5.
    uint8_t dc_l[4]
    uint8_t dc_u[4]
    uint8_t ac_kx[4]


ctypedef struct ArithStats:
    uint8_t dc[4][ARITH_DC_BINS]
    uint8_t ac[4][ARITH_AC_BINS]
    uint8_t fixed               # the non-adapting estimate for signs and correction bits (QM_FIXED_STATE)


ctypedef struct ArithDecoder:
    BitReader src               # the byte source: data, pos, end and the marker that stopped it (no bits)
    uint32_t c                  # code register: Cx, compared with A, in bits 16..31; the next byte enters at 8..15
    uint32_t a                  # interval size, 0x8000..0xFFFF after renormalisation (0x10000 at the start)
    int ct                      # shifts left before the next byte must enter C


cdef inline void arith_conditioning_init(ArithConditioning* cond) noexcept nogil:
    cdef int i
    for i in range(4):
        cond.dc_l[i] = 0
        cond.dc_u[i] = 1
        cond.ac_kx[i] = 5


cdef inline uint32_t arith_next_byte(BitReader* src) noexcept nogil:
    # T.81 D.2.6 (BYTEIN, Figure D.24): a 0xFF data byte is followed by a stuffed 0x00 (extra 0xFF are fill);
    # 0xFF and anything else is a marker, which ends the data: from then on the decoder is fed zeros, as it is
    # at the end of the input. The stop is recorded as BitReader's is, so the scan loop can find the marker.
    cdef size_t q
    cdef uint32_t byte
    if src.stopped:
        return 0
    if src.pos >= src.end:
        src.stopped = 1
        src.marker = 0
        src.marker_pos = src.end
        return 0
    byte = src.data[src.pos]
    if byte != 0xFF:
        src.pos += 1
        return byte
    q = src.pos + 1
    while q < src.end and src.data[q] == 0xFF:
        q += 1
    if q >= src.end:
        src.stopped = 1
        src.marker = 0
        src.marker_pos = src.end
        src.pos = src.end
        return 0
    if src.data[q] == 0x00:
        src.pos = q + 1
        return 0xFF
    src.stopped = 1
    src.marker = src.data[q]
    src.marker_pos = q - 1
    src.pos = q - 1
    return 0


cdef inline void arith_start(ArithDecoder* d) noexcept nogil:
    # T.81 D.2.7 (INITDEC, Figure D.22), at the start of a scan and after every restart marker: two bytes
    # into Cx, A = 0x10000 (a 16-bit register's 0x0000), CT = 0 so the first renormalisation loads a byte.
    d.c = arith_next_byte(&d.src) << 8
    d.c = (d.c | arith_next_byte(&d.src)) << 16
    d.a = 0x10000
    d.ct = 0


cdef inline int arith_decode(ArithDecoder* d, uint8_t* stat) noexcept nogil:
    # T.81 D.2.2 (DECODE, Figure D.19) with the conditional exchanges of Figures D.20 and D.21 and the
    # estimate updates of D.2.5: one binary decision in the context `stat`.
    # Cx < A holds throughout (so C never overflows 32 bits), whatever the input bytes are.
    cdef int state = stat[0] & 0x7F
    cdef int mps = stat[0] >> 7
    cdef int bit
    cdef uint32_t qe = QM_STATES[state].qe
    d.a -= qe
    if (d.c >> 16) < d.a:
        if d.a >= 0x8000:
            return mps                      # MPS, no renormalisation, no estimate update
        # Cond_MPS_exchange: the MPS sub-interval is now the smaller one when A < Qe.
        if d.a < qe:
            bit = 1 - mps
            if QM_STATES[state].switch_mps:
                mps = 1 - mps
            stat[0] = <uint8_t>((mps << 7) | QM_STATES[state].next_lps)
        else:
            bit = mps
            stat[0] = <uint8_t>((mps << 7) | QM_STATES[state].next_mps)
    else:
        # Cond_LPS_exchange: Cx lies in the LPS sub-interval (of size Qe), unless the two are exchanged.
        d.c -= d.a << 16
        if d.a < qe:
            bit = mps
            stat[0] = <uint8_t>((mps << 7) | QM_STATES[state].next_mps)
        else:
            bit = 1 - mps
            if QM_STATES[state].switch_mps:
                mps = 1 - mps
            stat[0] = <uint8_t>((mps << 7) | QM_STATES[state].next_lps)
        d.a = qe
    # D.2.3 (RENORM_D, Figure D.23): double A and C until A >= 0x8000, a byte entering C every 8 shifts.
    while True:
        if d.ct == 0:
            d.c += arith_next_byte(&d.src) << 8
            d.ct = 8
        d.a <<= 1
        d.c <<= 1
        d.ct -= 1
        if d.a >= 0x8000:
            return bit


cdef inline int arith_decode_magnitude(ArithDecoder* d, uint8_t* first_x, int top, int* top_out,
                                       int* value) noexcept nogil:
    # F.2.4.3.1 (Figures F.23 and F.24): the magnitude category as a unary run of X bins starting at
    # `first_x` with leading bit `top`, then the bits below the leading bit, each in the M bin that sits 14
    # bins after the X bin that ended the run. Gives the leading bit and |v| - 1.
    cdef uint8_t* stat = first_x
    cdef int bit, result
    while arith_decode(d, stat):
        top <<= 1
        if top == 0x8000:
            return ARITH_MAGNITUDE
        stat += 1
    result = top
    stat += ARITH_MAGNITUDE_BINS
    bit = top >> 1
    while bit:
        if arith_decode(d, stat):
            result |= bit
        bit >>= 1
    top_out[0] = top
    value[0] = result
    return ARITH_OK


cdef inline int arith_decode_dc_diff(ArithDecoder* d, uint8_t* dc_stats, int* dc_context, int dc_l, int dc_u,
                                     int* diff) noexcept nogil:
    # F.2.4.1 (Figures F.19 to F.24): one DC difference, in the conditioning category that the previous
    # difference of this component chose (F.1.4.4.1.2), which is then set from this one.
    cdef uint8_t* stat = dc_stats + dc_context[0]
    cdef int sign, top = 0, value = 0, status
    if not arith_decode(d, stat):                   # S0: a zero difference
        dc_context[0] = 0
        diff[0] = 0
        return ARITH_OK
    sign = arith_decode(d, stat + 1)                # SS
    if arith_decode(d, stat + 2 + sign):            # SP or SN: |v| > 1
        status = arith_decode_magnitude(d, dc_stats + ARITH_DC_X1, 1, &top, &value)
        if status < 0:
            return status
    # F.1.4.4.1.2: the category from |v| - 1, whose leading bit is `top` (0 when |v| = 1), against the
    # bounds 2**L / 2 and 2**U / 2 set by DAC.
    if top < ((1 << dc_l) >> 1):
        dc_context[0] = 0
    elif top > ((1 << dc_u) >> 1):
        dc_context[0] = 12 + 4 * sign
    else:
        dc_context[0] = 4 + 4 * sign
    diff[0] = -(value + 1) if sign else value + 1
    return ARITH_OK


cdef inline int arith_decode_ac(ArithDecoder* d, uint8_t* ac_stats, uint8_t* fixed, int kx, int16_t* block,
                                int ss, int se, int al) noexcept nogil:
    # F.2.4.2 (Figure F.20) and G.1.3.2: the AC coefficients ss..se of a block (zero on entry), each stored
    # shifted left by the point transform al. Returns 1 + the last zigzag index written (1: none), or < 0.
    cdef int k = ss, last = 0, sign, top, magnitude, status
    cdef uint32_t value
    cdef uint8_t* stat
    while k <= se:
        stat = ac_stats + 3 * (k - 1)
        if arith_decode(d, stat):
            break                                   # SE: end of block
        while not arith_decode(d, stat + 1):        # S0: a zero coefficient
            stat += 3
            k += 1
            if k > se:
                return ARITH_SPECTRAL
        sign = arith_decode(d, fixed)
        stat += 2
        magnitude = 0
        if arith_decode(d, stat):                   # SP/SN: |v| > 1
            magnitude = 1
            if arith_decode(d, stat):               # X1, the same bin: |v| > 2; the X run goes on by Kx
                status = arith_decode_magnitude(d, ac_stats + (ARITH_AC_LOW_X2 if k <= kx else ARITH_AC_HIGH_X2),
                                                2, &top, &magnitude)
                if status < 0:
                    return status
        value = <uint32_t>magnitude + 1
        if value > 32767:
            value = 32767                            # 2**15 itself does not fit a coefficient; saturate
        if sign:
            value = -value
        block[ZIGZAG_TO_NATURAL[k]] = <int16_t>(value << al)
        last = k
        k += 1
    return last + 1


cdef inline int wrap_int16(int value) noexcept nogil:
    # libjpeg-turbo keeps the arithmetic decoder's DC prediction modulo 2**16 (the coefficient is a JCOEF),
    # silently: a prediction that leaves int16 (only damaged data) wraps, as its coefficient would.
    return ((value + 32768) & 0xFFFF) - 32768


cdef inline int arith_decode_block(ArithDecoder* d, ArithStats* stats, ArithConditioning* cond, int dc_table,
                                   int ac_table, int* dc_context, int* dc_pred, int16_t* coef) noexcept nogil:
    # One block of a sequential scan (F.2.4), into coef (64 entries, natural order, zero on entry).
    # Returns 1 + the zigzag index of the last coefficient written (1 means "DC only"), or a status < 0.
    cdef int diff, status
    status = arith_decode_dc_diff(d, stats.dc[dc_table], dc_context, cond.dc_l[dc_table], cond.dc_u[dc_table],
                                  &diff)
    if status < 0:
        return status
    dc_pred[0] = wrap_int16(dc_pred[0] + diff)
    coef[0] = <int16_t>dc_pred[0]
    return arith_decode_ac(d, stats.ac[ac_table], &stats.fixed, cond.ac_kx[ac_table], coef, 1, 63, 0)


cdef inline int arith_dc_first(ArithDecoder* d, ArithStats* stats, ArithConditioning* cond, int dc_table,
                               int* dc_context, int* dc_pred, int16_t* block, int al) noexcept nogil:
    # G.1.3.1: the DC difference as in a sequential scan, the coefficient stored shifted left by Al.
    cdef int diff, status
    status = arith_decode_dc_diff(d, stats.dc[dc_table], dc_context, cond.dc_l[dc_table], cond.dc_u[dc_table],
                                  &diff)
    if status < 0:
        return status
    dc_pred[0] = wrap_int16(dc_pred[0] + diff)
    block[0] = <int16_t>(<uint32_t>dc_pred[0] << al)
    return ARITH_OK


cdef inline int arith_dc_refine(ArithDecoder* d, ArithStats* stats, int16_t* block, int al) noexcept nogil:
    # G.1.3.1: the next bit (Al) of the DC coefficient, decoded with the fixed estimate.
    if arith_decode(d, &stats.fixed):
        block[0] = <int16_t>(<uint32_t>block[0] | (<uint32_t>1 << al))
    return ARITH_OK


cdef inline int arith_ac_refine(ArithDecoder* d, uint8_t* ac_stats, uint8_t* fixed, int16_t* block, int ss,
                                int se, int al) noexcept nogil:
    # G.1.3.3 (Figure G.10 ff.): one more bit (Al) of every coefficient ss..se. Coefficients already nonzero
    # get a correction bit (in the SP/SN/X1 bin of their index); zero ones may become +-2**Al. The end-of-band
    # decision is only coded past EOBx, the last index a previous scan made nonzero.
    cdef int k, eobx, sign
    cdef int16_t* coef
    cdef uint8_t* stat
    cdef int bit_up = 1 << al
    eobx = se
    while eobx > 0 and block[ZIGZAG_TO_NATURAL[eobx]] == 0:
        eobx -= 1
    k = ss
    while k <= se:
        stat = ac_stats + 3 * (k - 1)
        if k > eobx and arith_decode(d, stat):
            break                                   # SE: nothing more in this band
        while True:
            coef = &block[ZIGZAG_TO_NATURAL[k]]
            if coef[0] != 0:
                if arith_decode(d, stat + 2):       # correction bit of an already nonzero coefficient
                    if coef[0] < 0:
                        coef[0] = <int16_t>(<uint32_t>coef[0] - <uint32_t>bit_up)
                    else:
                        coef[0] = <int16_t>(<uint32_t>coef[0] + <uint32_t>bit_up)
                break
            if arith_decode(d, stat + 1):           # a newly nonzero coefficient, then its sign
                sign = arith_decode(d, fixed)
                coef[0] = <int16_t>(-bit_up if sign else bit_up)
                break
            stat += 3
            k += 1
            if k > se:
                return ARITH_SPECTRAL
        k += 1
    return ARITH_OK
