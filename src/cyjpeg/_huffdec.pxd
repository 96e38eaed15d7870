# Huffman decoding for the sequential DCT process (T.81 Annex C, F.2.2).
#
# Owns: turning a DHT table (BITS counts and HUFFVAL symbols) into decode tables, with the checks libjpeg
# makes (no over-subscribed lengths; DC symbols above 15 flagged for the scan to refuse); decoding one symbol through a 9-bit lookahead
# table with a maxcode walk for longer codes (T.81 F.2.2.3, Figure F.16); and decoding one 8x8 block of
# quantized coefficients (F.2.2.1 DC difference, F.2.2.2 AC run/size), written in natural order, where one
# 10-bit table read (fast_seq) yields a whole DC difference or AC symbol with its value, EOB and ZRL included.
# Does not own: byte reading (_bitreader.pxd), dequantization (done inside the IDCT), or scan structure.
# Also the four block routines of progressive scans (T.81 G.1.2: DC first / refinement, AC first / refinement
# with EOB runs), which update a block of the coefficient buffer in place, and with it the block's map of
# nonzero AC coefficients that lets a refinement jump over zero runs and visit only the nonzero coefficients.
from libc.stdint cimport uint8_t, int16_t, int32_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memset
from cyjpeg._bitreader cimport BitReader, br_fast_refill, br_skip, br_note_concealed
from cyjpeg._tables cimport ZIGZAG_TO_NATURAL

cdef extern from "_intrin.h":
    int cy_ctz64(uint64_t x) noexcept nogil

# Codes up to this many bits are decoded with one table read; longer ones walk maxcode.
cdef enum:
    LOOKAHEAD_BITS = 9
    LOOKAHEAD_SIZE = 512
    # fast_seq's advance for an EOB: from a zigzag position of at most 62 it lands in 128..190, above anything
    # a coefficient or ZRL reaches (at most 62 + 16), so the end of the loop tells the two apart.
    SEQ_EOB_ADVANCE = 128
    # fast_seq is indexed by this many bits.
    SEQ_BITS = 10
    SEQ_SIZE = 1024

# Status codes returned by huff_build and the block decoders.
cdef enum:
    HUFF_OK = 0
    HUFF_BAD_CODE = -1        # the bits do not form any code of the table
    HUFF_TABLE_TOO_LONG = -2  # BITS counts more than 256 symbols
    HUFF_TABLE_OVERFULL = -3  # more codes of some length than that length allows
    HUFF_DC_RANGE = -5        # the DC prediction left every valid range (corrupt data)


ctypedef struct HuffTable:
    int defined
    int large_dc_symbol      # a DC symbol above 15: legal for lossless (16), never for DCT scans
    int lenient              # concealing (strict=None/False): a bad code reads as symbol 0 after 17 bits and a
                             # DC outside int16 wraps, as libjpeg conceals them; noted in the BitReader
    # lookahead[bits] = (code length << 8) | symbol for the code that `bits` (the next 9 bits) starts with,
    # or 0 when that code is longer than 9 bits.
    uint16_t lookahead[LOOKAHEAD_SIZE]
    # For AC tables: when the code and the value bits it announces both fit in the 9 lookahead bits,
    # value * 256 + run * 16 + total bits, so one table read yields a whole coefficient. 0 otherwise.
    int32_t fast_ac[LOOKAHEAD_SIZE]
    # For AC tables, to skip a block's AC values (1/8 scale): (zigzag positions to advance) * 256 + bits to
    # drop, when the code and its value bits fit in the lookahead; EOB advances 64, ZRL 16. 0 otherwise.
    uint16_t skip_ac[LOOKAHEAD_SIZE]
    # For huff_decode_block (sequential scans), one table read per symbol when the code and its value bits fit
    # in the lookahead, 0 otherwise. DC tables: difference * 256 + total bits. AC tables: value * 65536 +
    # advance * 256 + total bits, where advance moves the zigzag position: run + 1 for a coefficient, 16 for
    # ZRL and SEQ_EOB_ADVANCE for an end of block (size 0, run below 15), which ends the block's loop, so
    # that the common symbols, EOB included, take no branch besides the loop's own.
    int32_t fast_seq[SEQ_SIZE]
    int fast_seq_ready       # fast_seq is built (huff_build_fast_seq, for the tables a sequential scan uses);
                             # all zero, it sends every symbol down the slower path, with the same result
    # For AC tables at 1/8 scale: the multi-symbol skip table (_dcskip.pxd), built on first use into storage
    # the decoder owns; NULL until then, and again whenever huff_build redefines the table.
    const uint16_t* skip_multi
    int32_t maxcode[18]     # largest code of each length 1..16 (-1: none); [17] is a sentinel
    int32_t valoffset[17]   # huffval index of a code of length l = code + valoffset[l]
    uint8_t huffval[256]


cdef inline int huff_build(HuffTable* table, const uint8_t* bits, const uint8_t* values, bint is_dc) noexcept nogil:
    # T.81 C.1 and C.2 (Figures C.1 to C.3): canonical codes in order of length, then F.2.2.3's tables.
    cdef int length, i, k = 0, count = 0, fill, first, sym, size, run, total, value
    cdef int32_t code = 0
    for i in range(16):
        count += bits[i]
    if count > 256:
        return HUFF_TABLE_TOO_LONG
    memset(table, 0, sizeof(HuffTable))
    for i in range(count):
        table.huffval[i] = values[i]
        if is_dc and values[i] > 15:
            # Only a DCT scan that selects this table is in error (the frame type may not be known yet).
            table.large_dc_symbol = 1
    for length in range(1, 17):
        table.valoffset[length] = k - code
        for i in range(bits[length - 1]):
            # As libjpeg: the codes of one length must fit in that length (and leave the all-ones code unused,
            # checked below). Checked before the lookahead fill, which would otherwise write past the table.
            if code >= (1 << length):
                return HUFF_TABLE_OVERFULL
            if length <= LOOKAHEAD_BITS:
                first = code << (LOOKAHEAD_BITS - length)
                for fill in range(1 << (LOOKAHEAD_BITS - length)):
                    table.lookahead[first + fill] = <uint16_t>((length << 8) | values[k])
            code += 1
            k += 1
        table.maxcode[length] = code - 1 if bits[length - 1] else -1
        # As libjpeg: the codes of one length must leave the all-ones code unused (T.81 C.2 reserves it).
        if code >= (1 << length):
            return HUFF_TABLE_OVERFULL
        code <<= 1
    table.maxcode[17] = 0x7FFFFFFF
    if not is_dc:
        for i in range(LOOKAHEAD_SIZE):
            if table.lookahead[i] == 0:
                continue
            length = table.lookahead[i] >> 8
            sym = table.lookahead[i] & 0xFF
            run = sym >> 4
            size = sym & 15
            total = length + size
            if size == 0:
                if run == 15:
                    table.skip_ac[i] = <uint16_t>(16 * 256 + length)
                else:                           # EOB (sequential scans read any run as end of block)
                    table.skip_ac[i] = <uint16_t>(64 * 256 + length)
                continue
            if total > LOOKAHEAD_BITS:
                continue
            table.skip_ac[i] = <uint16_t>((run + 1) * 256 + total)
            value = (i >> (LOOKAHEAD_BITS - total)) & ((1 << size) - 1)
            if value < (1 << (size - 1)):       # T.81 F.2.2.1, Figure F.12 (EXTEND)
                value -= (1 << size) - 1
            table.fast_ac[i] = value * 256 + run * 16 + total
    table.defined = 1
    return HUFF_OK


cdef inline void huff_build_fast_seq(HuffTable* table, bint is_dc) noexcept nogil:
    # fast_seq (see HuffTable) over SEQ_BITS bits: one bit more than the lookahead, so that more codes have
    # their value bits in the same read (a code itself is still at most LOOKAHEAD_BITS long here).
    cdef int i, entry, length, sym, run, size, total, value
    table.fast_seq_ready = 1
    for i in range(SEQ_SIZE):
        entry = table.lookahead[i >> (SEQ_BITS - LOOKAHEAD_BITS)]
        if entry == 0:
            continue
        length = entry >> 8
        sym = entry & 0xFF
        if is_dc:
            run = 0
            size = sym
            if size > 15:
                continue                        # lossless only: no DCT scan reads it
        else:
            run = sym >> 4
            size = sym & 15
            if size == 0:
                if run == 15:
                    table.fast_seq[i] = 16 * 256 + length                   # ZRL
                else:
                    table.fast_seq[i] = SEQ_EOB_ADVANCE * 256 + length      # EOB
                continue
        total = length + size
        if total > SEQ_BITS:
            continue
        value = 0
        if size:
            value = (i >> (SEQ_BITS - total)) & ((1 << size) - 1)
            if value < (1 << (size - 1)):       # T.81 F.2.2.1, Figure F.12 (EXTEND)
                value -= (1 << size) - 1
        if is_dc:
            table.fast_seq[i] = value * 256 + total
        else:
            table.fast_seq[i] = value * 65536 + (run + 1) * 256 + total


cdef inline int huff_decode_slow(BitReader* br, const HuffTable* table) noexcept nogil:
    # T.81 F.2.2.3 (Figure F.16) for codes longer than the lookahead: grow the code a bit at a time until it
    # is no larger than the largest code of that length.
    cdef int length = LOOKAHEAD_BITS + 1
    cdef int32_t code = <int32_t>(br.acc >> (64 - length))
    while code > table.maxcode[length]:
        length += 1
        if length > 16:
            if table.lenient:
                # libjpeg's jpeg_huff_decode: warn, drop the 17 bits and read symbol 0 (DC difference 0, or EOB).
                br_note_concealed(br, HUFF_BAD_CODE)
                br_skip(br, 17)
                return 0
            return HUFF_BAD_CODE
        code = <int32_t>(br.acc >> (64 - length))
    br_skip(br, length)
    return table.huffval[(code + table.valoffset[length]) & 0xFF]


cdef inline int huff_decode(BitReader* br, const HuffTable* table) noexcept nogil:
    # One symbol. The caller has made sure at least 16 bits are in the accumulator.
    cdef int entry = table.lookahead[br.acc >> (64 - LOOKAHEAD_BITS)]
    if entry:
        br_skip(br, entry >> 8)
        return entry & 0xFF
    return huff_decode_slow(br, table)


cdef inline int huff_receive_extend(BitReader* br, int size) noexcept nogil:
    # T.81 F.2.2.1: the next `size` bits (1..15) are a magnitude; EXTEND (Figure F.12) makes it signed.
    cdef int value = <int>(br.acc >> (64 - size))
    br_skip(br, size)
    if value < (1 << (size - 1)):
        value -= (1 << size) - 1
    return value


cdef inline int dc_out_of_range(BitReader* br, const HuffTable* dc_table, int* dc_pred) noexcept nogil:
    # The DC prediction left int16, which no valid stream does (8-bit DC values are within +-2**11). Strict:
    # an error (returns 1). Otherwise as libjpeg, whose coefficients are int16 (JCOEF): keep the low 16 bits,
    # which is all a coefficient ever shows of the prediction, and note the damage.
    if not dc_table.lenient:
        return 1
    br_note_concealed(br, HUFF_DC_RANGE)
    dc_pred[0] = <int16_t><uint16_t>(<uint32_t>dc_pred[0] & 0xFFFF)
    return 0


cdef inline int huff_decode_dc(BitReader* br, const HuffTable* dc_table, int* dc_pred) noexcept nogil:
    # T.81 F.2.2.1: the DC difference added to the prediction; HUFF_OK or a status < 0. A prediction that
    # leaves int16 (damaged data) is refused or wrapped by dc_out_of_range.
    cdef int symbol
    if br.nbits < 32:
        br_fast_refill(br)
    symbol = huff_decode(br, dc_table)
    if symbol < 0:
        return symbol
    if symbol:
        dc_pred[0] += huff_receive_extend(br, symbol)
        if dc_pred[0] > 32767 or dc_pred[0] < -32768:
            if dc_out_of_range(br, dc_table, dc_pred):
                return HUFF_DC_RANGE
    return HUFF_OK


cdef inline int huff_decode_dc_fast(BitReader* br, const HuffTable* dc_table, int* dc_pred) noexcept nogil:
    # huff_decode_dc, with the difference's value bits in the same table read (fast_seq) when they fit.
    cdef int entry
    if br.nbits < 32:
        br_fast_refill(br)
    entry = dc_table.fast_seq[br.acc >> (64 - SEQ_BITS)]
    if entry == 0:
        return huff_decode_dc(br, dc_table, dc_pred)
    br_skip(br, entry & 31)
    dc_pred[0] += entry >> 8
    if dc_pred[0] > 32767 or dc_pred[0] < -32768:
        if dc_out_of_range(br, dc_table, dc_pred):
            return HUFF_DC_RANGE
    return HUFF_OK


cdef inline int huff_decode_block(BitReader* br, const HuffTable* dc_table, const HuffTable* ac_table,
                                  int* dc_pred, int16_t* coef) noexcept nogil:
    # Decode one block of a sequential scan into coef (64 entries, natural order, zero on entry).
    # Returns 1 when no AC coefficient was written (DC only), else 1 + the zigzag position of the last one (at
    # most: a ZRL counts as written), or a status < 0.
    cdef int symbol, k, run, size, entry
    symbol = huff_decode_dc_fast(br, dc_table, dc_pred)
    if symbol < 0:
        return symbol
    coef[0] = <int16_t>dc_pred[0]
    # T.81 F.2.2.2 (Figure F.13): AC coefficients as (zero run, magnitude category) symbols. k is the zigzag
    # position of the last coefficient (0: the DC); the block ends when it reaches 63 or an EOB adds
    # SEQ_EOB_ADVANCE. Every step writes: a ZRL writes the zero it lands on and an EOB a zero to position 63,
    # which nothing has written yet (a write at 63 or past it ends the block). Positions past 63 (a corrupt
    # run, or the EOB's) go to 63 through the zigzag table's guard entries, where libjpeg writes them.
    k = 0
    while k < 63:
        if br.nbits < 32:
            br_fast_refill(br)
        entry = ac_table.fast_seq[br.acc >> (64 - SEQ_BITS)]
        if entry:
            br_skip(br, entry & 31)
            k += (entry >> 8) & 255
            coef[ZIGZAG_TO_NATURAL[k if k < 79 else 79]] = <int16_t>(entry >> 16)
            continue
        symbol = huff_decode(br, ac_table)
        if symbol < 0:
            return symbol
        run = symbol >> 4
        size = symbol & 15
        if size:
            k += run + 1
            coef[ZIGZAG_TO_NATURAL[k if k < 79 else 79]] = <int16_t>huff_receive_extend(br, size)
        elif run == 15:
            k += 16           # ZRL: sixteen zeros
        else:
            k += SEQ_EOB_ADVANCE
    if k >= SEQ_EOB_ADVANCE:
        return k - SEQ_EOB_ADVANCE + 1
    return (k if k < 63 else 63) + 1


# ----------------------------------------------------------------------------------------------------------
# Progressive scans (T.81 G.1.2). Coefficients are kept quantized, in natural order, in int16 (as libjpeg's
# JCOEF); the point transform Al shifts them left (first scans) or adds one bit (refinements). Shifts are done
# on unsigned values so hostile data wraps instead of reaching undefined behaviour.

cdef inline int huff_get_bit(BitReader* br) noexcept nogil:
    cdef int bit
    if br.nbits < 16:
        br_fast_refill(br)
    bit = <int>(br.acc >> 63)
    br_skip(br, 1)
    return bit


cdef inline int prog_dc_first(BitReader* br, const HuffTable* dc_table, int* dc_pred, int16_t* block,
                              int al) noexcept nogil:
    # G.1.2.1: the DC difference as in a sequential scan, stored shifted left by Al.
    cdef int symbol = huff_decode_dc_fast(br, dc_table, dc_pred)
    if symbol < 0:
        return symbol
    block[0] = <int16_t>(<uint32_t>dc_pred[0] << al)
    return HUFF_OK


cdef inline int prog_dc_refine(BitReader* br, int16_t* block, int al) noexcept nogil:
    # G.1.2.1: one raw bit per block, the next bit (Al) of the DC coefficient.
    if huff_get_bit(br):
        block[0] = <int16_t>(block[0] | (1 << al))
    return HUFF_OK


cdef inline int prog_ac_first(BitReader* br, const HuffTable* ac_table, int16_t* block, uint64_t* nonzero,
                              int ss, int se, int al, int* eob_run) noexcept nogil:
    # G.1.2.2 (Figure G.3): coefficients Ss..Se of one block; a symbol with size 0 and run r < 15 starts an
    # EOB run of 2**r + (r more bits) blocks, this one included, that have no coefficient in this band.
    # nonzero: the block's map of nonzero AC coefficients (bit k: zigzag position k), kept exact for
    # prog_ac_refine; a value that wraps to 0 (hostile Al) clears its bit.
    cdef int k, symbol, run, size, value, entry, position
    cdef int16_t stored
    cdef uint64_t bit, map
    if eob_run[0] > 0:
        eob_run[0] -= 1
        return HUFF_OK
    map = nonzero[0]
    k = ss
    while k <= se:
        if br.nbits < 32:
            br_fast_refill(br)
        # One table read yields run, size and value when code and value bits fit in the lookahead.
        entry = ac_table.fast_ac[br.acc >> (64 - LOOKAHEAD_BITS)]
        if entry:
            k += (entry >> 4) & 15
            br_skip(br, entry & 15)
            value = entry >> 8
        else:
            symbol = huff_decode(br, ac_table)
            if symbol < 0:
                nonzero[0] = map
                return symbol
            run = symbol >> 4
            size = symbol & 15
            if size:
                k += run       # at most 63 + 15: the zigzag table's guard entries keep the write in the block
                value = huff_receive_extend(br, size)
            elif run == 15:
                k += 16        # ZRL
                continue
            else:
                value = 1 << run
                if run:
                    value += <int>(br.acc >> (64 - run))
                    br_skip(br, run)
                eob_run[0] = value - 1
                break
        stored = <int16_t>(<uint32_t>value << al)
        block[ZIGZAG_TO_NATURAL[k]] = stored
        position = k if k < 64 else 63          # where the guard entries write
        bit = (<uint64_t>1) << position
        map = (map & ~bit) | (bit if stored != 0 else 0)
        k += 1
    nonzero[0] = map
    return HUFF_OK


cdef inline void refine_passed(BitReader* br, int16_t* block, uint64_t passed, int plus) noexcept nogil:
    # G.1.2.3: one correction bit for each nonzero coefficient in `passed` (zigzag positions), in zigzag
    # order; a 1 adds 1 << Al away from zero unless that bit is already set. A coefficient that was nonzero
    # stays nonzero (|value| + 2**Al cannot wrap to 0 in int16), so the nonzero map needs no update.
    cdef int16_t* coef
    cdef int c, update
    while passed:
        if br.nbits < 16:
            br_fast_refill(br)
        coef = block + ZIGZAG_TO_NATURAL[cy_ctz64(passed)]
        passed &= passed - 1
        c = coef[0]
        update = <int>(br.acc >> 63) & ((c & plus) == 0)
        br_skip(br, 1)
        coef[0] = <int16_t>(c + (update * (plus if c >= 0 else -plus)))


cdef inline int prog_ac_refine(BitReader* br, const HuffTable* ac_table, int16_t* block, uint64_t* nonzero,
                               int ss, int se, int al, int* eob_run) noexcept nogil:
    # G.1.2.3 (Figures G.4 to G.7): one more bit of every coefficient already nonzero in Ss..Se (a correction
    # bit each, read as the zero run passes them), and new coefficients of magnitude 1 << Al placed after
    # `run` still-zero coefficients. Within an EOB run only the correction bits are read.
    # nonzero (the block's map of nonzero coefficients by zigzag position, see prog_ac_first) turns the walk
    # over the band into bit operations: the zero run ends at the (run+1)-th clear bit from k, and only set
    # bits cost a read.
    cdef int k = ss, symbol, run, size, new_value, position, entry
    cdef int plus = 1 << al
    cdef uint64_t map = nonzero[0]
    cdef uint64_t band = (~(<uint64_t>0) >> (63 - se)) & (~(<uint64_t>0) << ss)    # 1 <= ss <= se <= 63
    cdef uint64_t zeros, from_k
    if eob_run[0] == 0:
        while k <= se:
            if br.nbits < 32:
                br_fast_refill(br)
            # The usual symbol (run, size 1) and its sign bit in one table read: fast_ac's value is then +-1
            # (a larger value means size > 1, whose single bit the general path below reads).
            entry = ac_table.fast_ac[br.acc >> (64 - LOOKAHEAD_BITS)]
            if entry and (entry >> 8 == 1 or entry >> 8 == -1):
                run = (entry >> 4) & 15
                br_skip(br, entry & 15)
                new_value = plus if entry > 0 else -plus
            else:
                symbol = huff_decode(br, ac_table)
                if symbol < 0:
                    nonzero[0] = map
                    return symbol
                run = symbol >> 4
                size = symbol & 15
                new_value = 0
                if size:
                    # T.81 allows only size 1 here; libjpeg warns and carries on for others, and so do we.
                    new_value = plus if huff_get_bit(br) else -plus
            if new_value == 0 and run != 15:
                eob_run[0] = 1 << run
                if run:
                    if br.nbits < 32:
                        br_fast_refill(br)
                    eob_run[0] += <int>(br.acc >> (64 - run))
                    br_skip(br, run)
                break              # the rest of the band is handled as part of the EOB run below
            # Skip `run` zero coefficients (ZRL: 16), refining the nonzero ones passed on the way: the run
            # stops on the (run+1)-th zero of the band from k, or past Se when the band has too few.
            from_k = band & (~(<uint64_t>0) << k)
            zeros = from_k & ~map
            while run > 0 and zeros:
                zeros &= zeros - 1
                run -= 1
            if zeros:
                position = cy_ctz64(zeros)
                refine_passed(br, block, from_k & map & ((zeros & (~zeros + 1)) - 1), plus)
            else:
                position = se + 1
                refine_passed(br, block, from_k & map, plus)
            if new_value:
                # Past Se this writes outside the band (position 64: the guard entry, coefficient 63) as the
                # coefficient walk always has.
                block[ZIGZAG_TO_NATURAL[position]] = <int16_t>new_value
                map |= (<uint64_t>1) << (position if position < 64 else 63)
            k = position + 1
    if eob_run[0] > 0:
        if k <= se:
            refine_passed(br, block, band & (~(<uint64_t>0) << k) & map, plus)
        eob_run[0] -= 1
    nonzero[0] = map
    return HUFF_OK
