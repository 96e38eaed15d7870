# Passing over the AC coefficients of a block when only its DC term is wanted (decoding at 1/8 scale).
#
# Owns: the multi-symbol skip table of an AC Huffman table, and the block routine that reads a block's DC
# difference (T.81 F.2.2.1) and then walks its AC symbols (F.2.2.2) without decoding their values. At 1/8
# scale a block's output is its mean, DC / 8 (the 1x1 reduced IDCT), so of the AC data only its length matters.
# Also the MCU routine of a sequential scan at 1/8 scale: every block of one MCU, DC-only blocks through the
# skip table and larger ones (subsampled chroma, which libjpeg decodes at 2x2 or more rather than upsample)
# through the full block decoder and the reduced IDCTs, written straight to row pointers set once per MCU row.
# Does not own: the bit reader (_bitreader.pxd), the single-symbol tables, slow decoding of long codes and
# the table checks (_huffdec.pxd), restart intervals, truncation and concealment (the scan loop in
# _decoder.pyx, which hands an MCU here only while the data is intact).
#
# The skip table is indexed by the next SKIP_BITS bits of the scan. Each entry describes the run of AC
# symbols (Huffman code plus the value bits it announces) that those bits start with: every code of the run
# lies inside the window, and so do the value bits of all but the last symbol, whose value bits may run past
# it (skipping needs their count, not their bits). The run stops before a code that does not fit, after an
# EOB, or before the zigzag positions passed would exceed 63:
#   bits 0..5   bits the run takes, codes and value bits (1..27; 0 when not even one code fits, and then
#               the entry says 127 positions)
#   bits 8..14  zigzag positions it passes: run + 1 per coefficient, 16 per ZRL (0..63, or 127 as above)
#   bit  15     the run ends with EOB
# Photos at quality 75-95 code most AC symbols in 4-8 bits, so one lookup passes about two of them. An entry
# is used only when the block cannot end inside it (k + positions <= 63), which is true for every entry but
# the last of a block coded up to position 63 (no EOB); there, and for symbols longer than the window, the
# block falls back to one symbol at a time through _huffdec's tables. Either way every bit is read exactly
# as huff_decode_block reads it, corrupt data included.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int16_t, int64_t
from libc.string cimport memset
from cyjpeg._bitreader cimport BitReader, br_fast_refill, br_refill, br_skip
from cyjpeg._huffdec cimport (HuffTable, huff_decode, huff_decode_dc_fast, huff_receive_extend, LOOKAHEAD_BITS,
                              HUFF_OK)
from cyjpeg._idct cimport idct_scaled, idct_2x2_low, idct_1x1_sample
from cyjpeg._tables cimport ZIGZAG_TO_NATURAL

cdef enum:
    SKIP_BITS = 12
    SKIP_SIZE = 4096             # entries per table: 8 KiB of uint16, two tables (luma, chroma) fit in L1
    SKIP_NO_RUN = 127 << 8       # the entry of a window that holds no whole symbol


cdef inline void skip_table_build(const HuffTable* table, uint16_t* skip) noexcept nogil:
    # Parse every SKIP_BITS-bit window greedily into whole symbols (T.81 F.2.2.3 decoding of the codes, F.2.2.2
    # for what a run/size symbol passes). Codes up to LOOKAHEAD_BITS long come from the lookahead table; the
    # longer ones (10 to SKIP_BITS bits) from the maxcode walk of Figure F.16.
    cdef uint32_t index, window, code
    cdef int used, left, positions, eob, entry, length, symbol, size, step
    for index in range(SKIP_SIZE):
        used = 0
        positions = 0
        eob = 0
        while used < SKIP_BITS:
            left = SKIP_BITS - used
            window = (index << used) & (SKIP_SIZE - 1)     # the bits not yet used, at the top, zero-filled
            entry = table.lookahead[window >> (SKIP_BITS - LOOKAHEAD_BITS)]
            if entry:
                length = entry >> 8
                symbol = entry & 0xFF
            else:
                length = LOOKAHEAD_BITS + 1
                symbol = -1
                while length <= left:
                    code = window >> (SKIP_BITS - length)
                    if <int>code <= table.maxcode[length]:
                        symbol = table.huffval[(code + table.valoffset[length]) & 0xFF]
                        break
                    length += 1
                if symbol < 0:
                    break
            if length > left:
                break                     # the code runs past the window
            size = symbol & 15
            if size == 0 and (symbol >> 4) != 15:
                used += length            # EOB (a sequential scan reads any run with size 0 but 15 as EOB)
                eob = 1
                break
            step = 16 if size == 0 else (symbol >> 4) + 1
            if positions + step > 63:
                break
            used += length + size
            positions += step
        if used == 0:
            skip[index] = SKIP_NO_RUN
        else:
            skip[index] = <uint16_t>((eob << 15) | (positions << 8) | used)


cdef inline void skip_refill(BitReader* br) noexcept nogil:
    # Top the accumulator up to 56..63 bits. The common case reads the next 8 bytes at once and ORs in all
    # 64 - nbits bits it can take, a partial byte included; only whole bytes count as read (pos, nbits), so the
    # partial byte's bits are ORed in again, unchanged, by the next refill. No branch on how many bytes fit.
    # Near a 0xFF (stuffing or a marker) or the end of the data, _bitreader's byte-wise refill takes over.
    cdef const uint8_t* p
    cdef uint64_t word
    if br.pos + 8 <= br.end and not br.stopped:
        p = br.data + br.pos
        word = ((<uint64_t>p[0] << 56) | (<uint64_t>p[1] << 48) | (<uint64_t>p[2] << 40) | (<uint64_t>p[3] << 32)
                | (<uint64_t>p[4] << 24) | (<uint64_t>p[5] << 16) | (<uint64_t>p[6] << 8) | <uint64_t>p[7])
        if ((~word - 0x0101010101010101ULL) & word & 0x8080808080808080ULL) == 0:    # no 0xFF byte
            br.acc |= word >> br.nbits
            br.pos += (63 - br.nbits) >> 3
            br.nbits |= 56
            return
    br_refill(br)


cdef inline int skip_one_symbol(BitReader* br, const HuffTable* ac_table, int* k) noexcept nogil:
    # One AC symbol through _huffdec's tables: near a block coded up to position 63, or for a code longer
    # than the skip window. Returns HUFF_OK or a status < 0; k past 63 ends the block.
    cdef int entry, symbol, size
    if br.nbits < 32:
        br_fast_refill(br)
    entry = ac_table.skip_ac[br.acc >> (64 - LOOKAHEAD_BITS)]
    if entry:
        k[0] += entry >> 8
        br_skip(br, entry & 255)
        return HUFF_OK
    symbol = huff_decode(br, ac_table)
    if symbol < 0:
        return symbol
    size = symbol & 15
    if size:
        k[0] += (symbol >> 4) + 1
        br_skip(br, size)
    elif (symbol >> 4) == 15:
        k[0] += 16
    else:
        k[0] = 64             # EOB
    return HUFF_OK


cdef inline int dc_skip_block(BitReader* br, const HuffTable* dc_table, const HuffTable* ac_table,
                              const uint16_t* skip, int* dc_pred, int16_t* coef) noexcept nogil:
    # The DC difference into dc_pred and coef[0], then past the block's AC symbols. Reads exactly the bits
    # huff_decode_block reads for the same block. Returns 1 (DC only) or a status < 0.
    cdef int symbol, k, entry, lookup
    # A damaged DC (a bad code, a prediction leaving int16) fails or is noted in br.concealed: either way the
    # caller undoes the MCU and decodes it on the general path.
    symbol = huff_decode_dc_fast(br, dc_table, dc_pred)
    if symbol < 0:
        return symbol
    coef[0] = <int16_t>dc_pred[0]
    k = 1                                 # the next zigzag position (T.81 F.2.2.2, Figure F.13)
    while True:
        # A refill leaves at least 56 bits and an entry takes at most 27: two lookups per refill.
        skip_refill(br)
        for lookup in range(2):
            entry = skip[br.acc >> (64 - SKIP_BITS)]
            if k + ((entry >> 8) & 127) <= 63:
                br_skip(br, entry & 63)
                # An EOB ends the block: bit 15 becomes 64 (bit 6), which sends k past 63.
                k = (k + ((entry >> 8) & 127)) | ((entry >> 9) & 64)
            else:
                symbol = skip_one_symbol(br, ac_table, &k)
                if symbol < 0:
                    return symbol
            if k > 63:
                return 1


# ----------------------------------------------------------------------------------------------------------
# One MCU at 1/8 scale.

ctypedef struct DcComponent:
    const HuffTable* dc_table
    const HuffTable* ac_table
    const uint16_t* quant          # natural order
    int* dc_pred
    int blocks_h, blocks_v         # blocks per MCU across and down (1 x 1 in a non-interleaved scan)
    int block_size                 # 1 (DC only) or, for subsampled components, 2, 4 or 8
    Py_ssize_t stride
    Py_ssize_t mcu_step            # samples from one MCU to the next: blocks_h * block_size
    uint8_t* rows[4]               # this MCU row: the first sample row of each block row


ctypedef struct DcScan:
    int ncomp
    DcComponent comp[4]
    # One block of coefficients (natural order), all zero between blocks: a block decoder writes the ones it
    # decodes and they are cleared again after use, which costs less than clearing all 64 for every block.
    int16_t coef[64]


cdef inline int decode_block_refill2(BitReader* br, const HuffTable* dc_table, const HuffTable* ac_table,
                                     int* dc_pred, int16_t* coef) noexcept nogil:
    # huff_decode_block (same bits read, same coefficients written, same result) for the blocks that are
    # decoded in full at 1/8 scale (subsampled chroma), with skip_refill and two AC symbols per refill.
    cdef int symbol, k, run, size, entry, last = 0, step
    # A damaged DC (a bad code, a prediction leaving int16) fails or is noted in br.concealed: either way the
    # caller undoes the MCU and decodes it on the general path.
    symbol = huff_decode_dc_fast(br, dc_table, dc_pred)
    if symbol < 0:
        return symbol
    coef[0] = <int16_t>dc_pred[0]
    k = 1
    while True:
        # At least 56 bits: a symbol takes at most 16 + 15, so the second one refills first if it is long.
        skip_refill(br)
        for step in range(2):
            entry = ac_table.fast_ac[br.acc >> (64 - LOOKAHEAD_BITS)]
            if entry:
                k += (entry >> 4) & 15
                br_skip(br, entry & 15)
                coef[ZIGZAG_TO_NATURAL[k]] = <int16_t>(entry >> 8)
                last = k
            else:
                if br.nbits < 32:
                    br_fast_refill(br)
                symbol = huff_decode(br, ac_table)
                if symbol < 0:
                    return symbol
                run = symbol >> 4
                size = symbol & 15
                if size:
                    k += run          # past 63 only in corrupt data: the zigzag guard entries send it to 63
                    coef[ZIGZAG_TO_NATURAL[k]] = <int16_t>huff_receive_extend(br, size)
                    last = k
                elif run == 15:
                    k += 15           # ZRL: sixteen zeros (with the k += 1 below)
                else:
                    return last + 1   # EOB
            k += 1
            if k > 63:
                return last + 1


cdef inline int dc_scan_mcu(BitReader* br, DcScan* scan, int mx) noexcept nogil:
    # Decode MCU `mx` of the current MCU row (T.81 A.2.3: h x v blocks of each component in turn). Returns
    # HUFF_OK, or a status < 0 at the first damaged block: the caller then restores the reader and the
    # predictions it saved and decodes the MCU on the general path, which conceals damage as libjpeg does.
    cdef int16_t* coef = scan.coef
    cdef DcComponent* c
    cdef int i, k, bx, by, bs, result = 0
    cdef uint8_t* dest
    for i in range(scan.ncomp):
        c = &scan.comp[i]
        bs = c.block_size
        for by in range(c.blocks_v):
            dest = c.rows[by] + mx * c.mcu_step
            for bx in range(c.blocks_h):
                if bs == 1:
                    result = dc_skip_block(br, c.dc_table, c.ac_table, c.ac_table.skip_multi, c.dc_pred, coef)
                    if result < 0:
                        memset(coef, 0, 64 * sizeof(int16_t))
                        return result
                    dest[0] = idct_1x1_sample(coef[0], c.quant[0])
                else:
                    result = decode_block_refill2(br, c.dc_table, c.ac_table, c.dc_pred, coef)
                    if result < 0:
                        memset(coef, 0, 64 * sizeof(int16_t))
                        return result
                    if bs == 2 and result <= 5 and result > 1:
                        # 4:2:0 chroma ending by zigzag position 4: the 2x2 kernel for those four coefficients.
                        idct_2x2_low(coef, c.quant, dest, c.stride)
                    else:
                        idct_scaled(bs, result == 1, coef, c.quant, dest, c.stride)
                    if result > 1:
                        # Zigzag positions 1 .. result - 1 hold every coefficient the block decoder wrote
                        # (a corrupt run past 63 wrote position 63, through the table's guard entries).
                        for k in range(1, result):
                            coef[ZIGZAG_TO_NATURAL[k]] = 0
                dest += bs
    return HUFF_OK
