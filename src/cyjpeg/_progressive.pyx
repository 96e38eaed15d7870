# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Entropy coding of already-quantized coefficient planes: progressive (SOF2) and sequential (SOF0) files.

Owns the size-optimising writer: scan scripts (T.81 G.1.1: spectral selection and successive
approximation), the four progressive scan coders (DC first/refine, AC first with end-of-band runs, AC
refine with correction bits; T.81 G.1.2), one optimal Huffman table per scan from a counting pass
(T.81 K.2), the cost in bits of a candidate scan (for choosing a script by size, the way mozjpeg's scan
optimisation does), and the marker segments of such files. It also writes a sequential file from the same
planes (optimal tables), which the trellis and target-quality paths use.

Input planes come from cyjpeg._coefficients: per component an int16 array (blocks_h, blocks_w, 64) of
quantized coefficients in ZIGZAG order, covering exactly the component's blocks (T.81 A.2.2); the dummy
blocks that pad interleaved MCUs (T.81 A.2.3) are made up here (DC equal to the prediction, no AC).
Does not own the DCT, quantization or the baseline encoder (cyjpeg._encoder), whose bytes stay untouched.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int16_t, int32_t, int64_t, uint64_t
from libc.stdlib cimport malloc, calloc, free
from libc.string cimport memset
from cpython.bytes cimport PyBytes_FromStringAndSize

from cyjpeg._tables cimport (
    ZIGZAG_TO_NATURAL, STD_DC_LUMA_BITS, STD_DC_LUMA_VALS, STD_DC_CHROMA_BITS, STD_DC_CHROMA_VALS,
    STD_AC_LUMA_BITS, STD_AC_LUMA_VALS, STD_AC_CHROMA_BITS, STD_AC_CHROMA_VALS,
)
from cyjpeg._bitwriter cimport BitWriter, reserve, put_bytes, put_byte, put_u16, put_bits, flush_bits
from cyjpeg._huffenc cimport HuffCodes, HuffSpec, make_codes, optimal_spec
from cyjpeg._markers cimport put_soi_jfif, put_dqt, put_sof, put_dht

import numpy as np

cdef extern from "_intrin.h":
    int cy_bit_length(uint32_t x) noexcept nogil
    int cy_ctz64(uint64_t x) noexcept nogil

cdef enum:
    MAX_COMPONENTS = 3
    BLOCK_ROOM = 1024      # worst case bytes for one block incl. buffered correction bits, with stuffing
    MAX_CORRECTION_BITS = 937   # buffered refinement bits before an EOB run is forced out (as libjpeg: 1000 - 63)
    HEADER_ROOM = 2048


cdef struct Plane:
    const int16_t* coefs      # blocks_h * blocks_w * 64, zigzag order
    const uint64_t* masks     # per block: bit k set when zigzag coefficient k is nonzero
    int blocks_w, blocks_h
    int h_samp, v_samp
    int huff_table            # 0 luma, 1 chroma


cdef struct Frame:
    Plane planes[MAX_COMPONENTS]
    int ncomp
    int width, height
    int h_max, v_max
    int mcus_x, mcus_y


cdef struct ScanCoder:
    BitWriter* writer          # NULL while counting
    int64_t* dc_freq[2]        # symbol counts per Huffman table slot (counting pass)
    int64_t* ac_freq
    HuffCodes* dc_codes[2]
    HuffCodes* ac_codes
    int64_t raw_bits           # extra bits that follow symbols (counting pass)
    uint32_t eobrun            # blocks in the pending end-of-band run (T.81 G.1.2.2)
    uint8_t correction[1024]   # refinement bits buffered behind the pending run (T.81 G.1.2.3)
    int pending_corrections
    int ss, se, ah, al


cdef inline void emit_dc_symbol(ScanCoder* sc, int slot, int symbol) noexcept nogil:
    if sc.writer == NULL:
        sc.dc_freq[slot][symbol] += 1
    else:
        put_bits(sc.writer, sc.dc_codes[slot].code[symbol], sc.dc_codes[slot].length[symbol])


cdef inline void emit_ac_symbol(ScanCoder* sc, int symbol) noexcept nogil:
    if sc.writer == NULL:
        sc.ac_freq[symbol] += 1
    else:
        put_bits(sc.writer, sc.ac_codes.code[symbol], sc.ac_codes.length[symbol])


cdef inline void emit_raw(ScanCoder* sc, uint32_t value, int nbits) noexcept nogil:
    if nbits == 0:
        return
    if sc.writer == NULL:
        sc.raw_bits += nbits
    else:
        put_bits(sc.writer, value & ((<uint32_t>1 << nbits) - 1), nbits)


cdef inline void emit_corrections(ScanCoder* sc, const uint8_t* bits, int count) noexcept nogil:
    cdef int i
    if sc.writer == NULL:
        sc.raw_bits += count
        return
    for i in range(count):
        put_bits(sc.writer, bits[i], 1)


cdef inline void flush_eobrun(ScanCoder* sc) noexcept nogil:
    """T.81 G.1.2.2: an EOBn symbol (n = bit length of the run - 1, in the high nibble) then the run's low n
    bits; in a refinement scan the correction bits of the run's blocks follow (G.1.2.3)."""
    cdef int nbits
    if sc.eobrun == 0:
        return
    nbits = cy_bit_length(sc.eobrun) - 1
    emit_ac_symbol(sc, nbits << 4)
    emit_raw(sc, sc.eobrun, nbits)
    sc.eobrun = 0
    emit_corrections(sc, sc.correction, sc.pending_corrections)
    sc.pending_corrections = 0


cdef inline void code_dc(ScanCoder* sc, int slot, int32_t value, int32_t* pred) noexcept nogil:
    """DC difference (T.81 F.1.2.1) of the point-transformed DC `value` (G.1.2.1)."""
    cdef int32_t diff = value - pred[0]
    cdef int32_t magnitude = -diff if diff < 0 else diff
    cdef int nbits = cy_bit_length(<uint32_t>magnitude)
    pred[0] = value
    emit_dc_symbol(sc, slot, nbits)
    emit_raw(sc, <uint32_t>(diff - 1 if diff < 0 else diff), nbits)


cdef inline uint64_t band_mask(int ss, int se) noexcept nogil:
    cdef uint64_t high = (<uint64_t>2 << se) - 1 if se < 63 else <uint64_t>0xFFFFFFFFFFFFFFFF
    return high & ~((<uint64_t>1 << ss) - 1)


cdef inline void code_ac_first(ScanCoder* sc, const int16_t* block, uint64_t nonzero, bint sequential) noexcept nogil:
    """AC coefficients ss..se of one block, point-transformed by al (T.81 G.1.2.2; F.1.2.2 when sequential,
    where every block ends with its own EOB, which is an EOB run of one). `nonzero` is the block's zigzag
    bitmap: only nonzero coefficients are visited (count-trailing-zeros), zero runs come from positions."""
    cdef int k, run, nbits, last
    cdef int ss = sc.ss if sc.ss > 0 else 1
    cdef int32_t value, magnitude
    nonzero &= band_mask(ss, sc.se)
    last = ss - 1
    while nonzero:
        k = cy_ctz64(nonzero)
        nonzero &= nonzero - 1
        value = block[k]
        magnitude = (-value if value < 0 else value) >> sc.al
        if magnitude == 0:
            continue
        run = k - last - 1
        last = k
        flush_eobrun(sc)
        while run >= 16:
            emit_ac_symbol(sc, 0xF0)
            run -= 16
        nbits = cy_bit_length(<uint32_t>magnitude)
        emit_ac_symbol(sc, (run << 4) | nbits)
        # negative values are sent as the ones' complement of the magnitude (T.81 F.1.2.2.1)
        emit_raw(sc, <uint32_t>(~magnitude if value < 0 else magnitude), nbits)
    if last < sc.se:
        sc.eobrun += 1
        if sequential or sc.eobrun == 0x7FFF:
            flush_eobrun(sc)


cdef inline void code_ac_refine(ScanCoder* sc, const int16_t* block, uint64_t nonzero) noexcept nogil:
    """One block of an AC refinement scan (T.81 G.1.2.3): coefficients that become nonzero at bit al are
    coded like a first scan with magnitude 1; those already nonzero send one correction bit each, buffered
    until the next symbol (or the end of the EOB run) so the decoder knows which coefficients they belong
    to. Zeros only lengthen the run, so only the nonzero coefficients are visited."""
    cdef int k, i, n = 0, run = 0, last = sc.ss - 1, last_new = 0, buffered = 0
    cdef int32_t value, magnitude
    cdef uint8_t positions[64]
    cdef uint8_t magnitudes[64]
    cdef uint8_t block_bits[64]
    nonzero &= band_mask(sc.ss, sc.se)
    while nonzero:
        k = cy_ctz64(nonzero)
        nonzero &= nonzero - 1
        value = block[k]
        magnitude = (-value if value < 0 else value) >> sc.al
        if magnitude == 0:
            continue
        positions[n] = <uint8_t>k
        magnitudes[n] = <uint8_t>(magnitude if magnitude < 2 else 2 + (magnitude & 1))
        if magnitude == 1:
            last_new = k
        n += 1
    for i in range(n):
        k = positions[i]
        magnitude = magnitudes[i]
        run += k - last - 1
        last = k
        # ZRLs are only needed when a newly nonzero coefficient follows; otherwise the zeros join the EOB run
        while run >= 16 and k <= last_new:
            flush_eobrun(sc)
            emit_ac_symbol(sc, 0xF0)
            run -= 16
            emit_corrections(sc, block_bits, buffered)
            buffered = 0
        if magnitude > 1:
            block_bits[buffered] = magnitude & 1
            buffered += 1
            continue
        flush_eobrun(sc)
        emit_ac_symbol(sc, (run << 4) | 1)
        emit_raw(sc, 0 if block[k] < 0 else 1, 1)
        emit_corrections(sc, block_bits, buffered)
        buffered = 0
        run = 0
    run += sc.se - last
    if run > 0 or buffered > 0:
        sc.eobrun += 1
        for k in range(buffered):
            sc.correction[sc.pending_corrections + k] = block_bits[k]
        sc.pending_corrections += buffered
        if sc.eobrun == 0x7FFF or sc.pending_corrections > MAX_CORRECTION_BITS:
            flush_eobrun(sc)


cdef inline int32_t shift_dc(int32_t value, int al) noexcept nogil:
    # T.81 G.1.2.1: the point transform of DC is an arithmetic shift right
    return value >> al if value >= 0 else -((-value - 1) >> al) - 1


cdef int run_scan(Frame* fr, ScanCoder* sc, const int* comps, int ncomp, int reserve_room) noexcept nogil:
    """One pass over the blocks of a scan, counting symbols (sc.writer NULL) or writing them.

    A scan of one component is non-interleaved and visits that component's blocks in raster order; a scan
    of several interleaves them by MCU (T.81 A.2), with dummy blocks where the MCU runs past the image.
    """
    cdef int32_t dc_pred[MAX_COMPONENTS]
    cdef int i, c, bx, by, mx, my, row, col, slot
    cdef Plane* plane
    cdef const int16_t* block
    cdef bint sequential = sc.ss == 0 and sc.se == 63
    cdef bint is_dc = sc.ss == 0
    for i in range(MAX_COMPONENTS):
        dc_pred[i] = 0
    if ncomp == 1:
        plane = &fr.planes[comps[0]]
        slot = plane.huff_table
        for row in range(plane.blocks_h):
            if reserve_room and reserve(sc.writer, <size_t>BLOCK_ROOM * plane.blocks_w) != 0:
                return -1
            for col in range(plane.blocks_w):
                block = plane.coefs + (<size_t>row * plane.blocks_w + col) * 64
                if is_dc:
                    if sc.ah == 0:
                        code_dc(sc, slot, shift_dc(block[0], sc.al), &dc_pred[0])
                    else:
                        emit_raw(sc, (block[0] >> sc.al) & 1, 1)
                    if sequential:
                        code_ac_first(sc, block, plane.masks[<size_t>row * plane.blocks_w + col], True)
                elif sc.ah == 0:
                    code_ac_first(sc, block, plane.masks[<size_t>row * plane.blocks_w + col], False)
                else:
                    code_ac_refine(sc, block, plane.masks[<size_t>row * plane.blocks_w + col])
        flush_eobrun(sc)
        return 0
    # Interleaved: DC scans (progressive) or the single sequential scan.
    for my in range(fr.mcus_y):
        if reserve_room and reserve(sc.writer, <size_t>BLOCK_ROOM * fr.mcus_x * 6) != 0:
            return -1
        for mx in range(fr.mcus_x):
            for i in range(ncomp):
                c = comps[i]
                plane = &fr.planes[c]
                slot = plane.huff_table
                for by in range(plane.v_samp):
                    row = my * plane.v_samp + by
                    for bx in range(plane.h_samp):
                        col = mx * plane.h_samp + bx
                        if row < plane.blocks_h and col < plane.blocks_w:
                            block = plane.coefs + (<size_t>row * plane.blocks_w + col) * 64
                            if sc.ah == 0:
                                code_dc(sc, slot, shift_dc(block[0], sc.al), &dc_pred[i])
                            else:
                                emit_raw(sc, (block[0] >> sc.al) & 1, 1)
                            if sequential:
                                code_ac_first(sc, block, plane.masks[<size_t>row * plane.blocks_w + col], True)
                        else:
                            # dummy block: DC difference 0, no AC (its values are never displayed)
                            if sc.ah == 0:
                                code_dc(sc, slot, dc_pred[i], &dc_pred[i])
                            else:
                                emit_raw(sc, 0, 1)
                            if sequential:
                                sc.eobrun += 1
                                flush_eobrun(sc)
    flush_eobrun(sc)
    return 0


cdef int64_t table_bits(const int64_t* freq, HuffSpec* spec) noexcept nogil:
    """Bits of the Huffman-coded symbols with the optimal table for `freq`, plus its DHT segment."""
    cdef uint8_t lengths[256]
    cdef int length, i, k = 0
    cdef int64_t total = 0
    optimal_spec(freq, spec)
    memset(lengths, 0, 256)
    for length in range(1, 17):
        for i in range(spec.bits[length - 1]):
            lengths[spec.values[k]] = <uint8_t>length
            k += 1
    for i in range(256):
        total += freq[i] * lengths[i]
    return total + 8 * (1 + 16 + spec.count)


cdef bint has_symbols(const int64_t* freq) noexcept nogil:
    cdef int i
    for i in range(256):
        if freq[i]:
            return True
    return False


cdef struct Work:
    int64_t dc_freq[2][256]
    int64_t ac_freq[256]
    HuffSpec dc_spec[2]
    HuffSpec ac_spec
    HuffCodes dc_codes[2]
    HuffCodes ac_codes
    ScanCoder coder


cdef void start_coder(Work* wk, BitWriter* writer, int ss, int se, int ah, int al) noexcept nogil:
    memset(&wk.coder, 0, sizeof(ScanCoder))
    wk.coder.writer = writer
    wk.coder.dc_freq[0] = wk.dc_freq[0]
    wk.coder.dc_freq[1] = wk.dc_freq[1]
    wk.coder.ac_freq = wk.ac_freq
    wk.coder.dc_codes[0] = &wk.dc_codes[0]
    wk.coder.dc_codes[1] = &wk.dc_codes[1]
    wk.coder.ac_codes = &wk.ac_codes
    wk.coder.ss = ss
    wk.coder.se = se
    wk.coder.ah = ah
    wk.coder.al = al


cdef int encode_scan(Frame* fr, Work* wk, BitWriter* w, const int* comps, int ncomp,
                     int ss, int se, int ah, int al) noexcept nogil:
    """Count, build this scan's optimal tables, write DHT + SOS (T.81 B.2.3) + the entropy-coded data."""
    cdef int i, t
    cdef bint used_dc[2]
    cdef bint needs_dc = ss == 0 and ah == 0
    cdef bint needs_ac = se > 0
    memset(wk.dc_freq, 0, sizeof(wk.dc_freq))
    memset(wk.ac_freq, 0, sizeof(wk.ac_freq))
    used_dc[0] = used_dc[1] = False
    for i in range(ncomp):
        used_dc[fr.planes[comps[i]].huff_table] = True
    start_coder(wk, NULL, ss, se, ah, al)
    run_scan(fr, &wk.coder, comps, ncomp, 0)
    if reserve(w, HEADER_ROOM) != 0:
        return -1
    if needs_dc:
        for t in range(2):
            if used_dc[t]:
                optimal_spec(wk.dc_freq[t], &wk.dc_spec[t])
                if make_codes(&wk.dc_spec[t], &wk.dc_codes[t]) != 0:
                    return -2
                put_dht(w, 0, t, &wk.dc_spec[t])
    if needs_ac:
        if not has_symbols(wk.ac_freq):
            wk.ac_freq[0] = 1      # an all-zero band still needs a (trivial) table for its EOB runs
        optimal_spec(wk.ac_freq, &wk.ac_spec)
        if make_codes(&wk.ac_spec, &wk.ac_codes) != 0:
            return -2
        put_dht(w, 1, fr.planes[comps[0]].huff_table, &wk.ac_spec)   # AC scans have one component
    put_u16(w, 0xFFDA)
    put_u16(w, <uint32_t>(6 + 2 * ncomp))
    put_byte(w, <uint8_t>ncomp)
    for i in range(ncomp):
        t = fr.planes[comps[i]].huff_table
        put_byte(w, <uint8_t>(comps[i] + 1))
        put_byte(w, <uint8_t>((t << 4) | t))
    put_byte(w, <uint8_t>ss)
    put_byte(w, <uint8_t>se)
    put_byte(w, <uint8_t>((ah << 4) | al))
    start_coder(wk, w, ss, se, ah, al)
    if run_scan(fr, &wk.coder, comps, ncomp, 1) != 0:
        return -1
    if reserve(w, 64) != 0:
        return -1
    flush_bits(w)
    return 0


cdef int encode_sequential(Frame* fr, Work* wk, BitWriter* w) noexcept nogil:
    """The single interleaved scan of a sequential file with optimal tables (DC and AC per table slot)."""
    cdef int comps[MAX_COMPONENTS]
    cdef int64_t ac_freq[2][256]
    cdef HuffSpec ac_spec[2]
    cdef HuffCodes ac_codes[2]
    cdef int i, t, ntables = 1 if fr.ncomp == 1 else 2
    cdef int64_t* saved
    for i in range(fr.ncomp):
        comps[i] = i
    memset(wk.dc_freq, 0, sizeof(wk.dc_freq))
    memset(ac_freq, 0, sizeof(ac_freq))
    # The scan coder has one AC table; a sequential scan of a colour image needs two. Count each table's
    # components separately: component scans with ss=0, se=63 count exactly what the interleaved scan codes
    # for real blocks, and dummy blocks (DC difference 0, EOB) are added per component afterwards.
    for t in range(ntables):
        memset(wk.ac_freq, 0, sizeof(wk.ac_freq))
        for i in range(fr.ncomp):
            if fr.planes[i].huff_table == t:
                start_coder(wk, NULL, 0, 63, 0, 0)
                count_sequential_component(fr, &wk.coder, i)
        memcpy_freq(ac_freq[t], wk.ac_freq)
    for t in range(ntables):
        optimal_spec(wk.dc_freq[t], &wk.dc_spec[t])
        optimal_spec(ac_freq[t], &ac_spec[t])
        if make_codes(&wk.dc_spec[t], &wk.dc_codes[t]) != 0 or make_codes(&ac_spec[t], &ac_codes[t]) != 0:
            return -2
    if reserve(w, HEADER_ROOM) != 0:
        return -1
    for t in range(ntables):
        put_dht(w, 0, t, &wk.dc_spec[t])
        put_dht(w, 1, t, &ac_spec[t])
    put_u16(w, 0xFFDA)
    put_u16(w, <uint32_t>(6 + 2 * fr.ncomp))
    put_byte(w, <uint8_t>fr.ncomp)
    for i in range(fr.ncomp):
        t = fr.planes[i].huff_table
        put_byte(w, <uint8_t>(i + 1))
        put_byte(w, <uint8_t>((t << 4) | t))
    put_byte(w, 0)
    put_byte(w, 63)
    put_byte(w, 0)
    # Write: swap the AC table pointer per component as the MCU is walked.
    if write_sequential(fr, wk, w, ac_codes) != 0:
        return -1
    if reserve(w, 64) != 0:
        return -1
    flush_bits(w)
    return 0


cdef inline void memcpy_freq(int64_t* dst, const int64_t* src) noexcept nogil:
    cdef int i
    for i in range(256):
        dst[i] = src[i]


cdef void count_sequential_component(Frame* fr, ScanCoder* sc, int c) noexcept nogil:
    """Symbol counts of component c as the interleaved sequential scan codes it (in MCU order, so the DC
    predictions and dummy blocks are the real ones)."""
    cdef Plane* plane = &fr.planes[c]
    cdef int32_t dc_pred = 0
    cdef int mx, my, bx, by, row, col
    cdef const int16_t* block
    for my in range(fr.mcus_y):
        for mx in range(fr.mcus_x):
            for by in range(plane.v_samp):
                row = my * plane.v_samp + by
                for bx in range(plane.h_samp):
                    col = mx * plane.h_samp + bx
                    if row < plane.blocks_h and col < plane.blocks_w:
                        block = plane.coefs + (<size_t>row * plane.blocks_w + col) * 64
                        code_dc(sc, plane.huff_table, block[0], &dc_pred)
                        code_ac_first(sc, block, plane.masks[<size_t>row * plane.blocks_w + col], True)
                    else:
                        code_dc(sc, plane.huff_table, dc_pred, &dc_pred)
                        sc.eobrun += 1
                        flush_eobrun(sc)


cdef int write_sequential(Frame* fr, Work* wk, BitWriter* w, HuffCodes* ac_codes) noexcept nogil:
    cdef int32_t dc_pred[MAX_COMPONENTS]
    cdef int c, mx, my, bx, by, row, col
    cdef Plane* plane
    cdef const int16_t* block
    cdef ScanCoder* sc = &wk.coder
    start_coder(wk, w, 0, 63, 0, 0)
    for c in range(MAX_COMPONENTS):
        dc_pred[c] = 0
    for my in range(fr.mcus_y):
        if reserve(w, <size_t>BLOCK_ROOM * fr.mcus_x * 6) != 0:
            return -1
        for mx in range(fr.mcus_x):
            for c in range(fr.ncomp):
                plane = &fr.planes[c]
                sc.ac_codes = &ac_codes[plane.huff_table]
                for by in range(plane.v_samp):
                    row = my * plane.v_samp + by
                    for bx in range(plane.h_samp):
                        col = mx * plane.h_samp + bx
                        if row < plane.blocks_h and col < plane.blocks_w:
                            block = plane.coefs + (<size_t>row * plane.blocks_w + col) * 64
                            code_dc(sc, plane.huff_table, block[0], &dc_pred[c])
                            code_ac_first(sc, block, plane.masks[<size_t>row * plane.blocks_w + col], True)
                        else:
                            code_dc(sc, plane.huff_table, dc_pred[c], &dc_pred[c])
                            sc.eobrun += 1
                            flush_eobrun(sc)
    return 0


cdef void write_headers(Frame* fr, BitWriter* w, const uint16_t* qtables, int nqtables,
                        const int* comp_qtable, bint progressive,
                        const uint8_t* extra, size_t extra_size) noexcept nogil:
    """SOI, APP0 (JFIF 1.01), metadata, DQT, SOF0 or SOF2: the same header bytes as cyjpeg._encoder writes."""
    cdef int c
    cdef uint8_t sampling[MAX_COMPONENTS]
    cdef uint8_t qtable_ids[MAX_COMPONENTS]
    for c in range(fr.ncomp):
        sampling[c] = <uint8_t>((fr.planes[c].h_samp << 4) | fr.planes[c].v_samp)
        qtable_ids[c] = <uint8_t>comp_qtable[c]
    put_soi_jfif(w)
    if extra_size:
        put_bytes(w, extra, extra_size)
    put_dqt(w, qtables, nqtables)
    put_sof(w, 0xFFC2 if progressive else 0xFFC0, fr.width, fr.height, fr.ncomp, sampling, qtable_ids)


def nonzero_masks(planes_array):
    """uint64 bitmap per block of a zigzag plane: bit k set when coefficient k is nonzero."""
    cdef const int16_t[:, :, ::1] view = planes_array
    cdef Py_ssize_t n = view.shape[0] * view.shape[1], b
    cdef int k
    cdef uint64_t bits
    cdef const int16_t* block
    result = np.zeros(max(n, 1), dtype=np.uint64)
    cdef uint64_t[::1] out = result
    if n == 0:
        return result
    with nogil:
        for b in range(n):
            block = &view[0, 0, 0] + b * 64
            bits = 0
            for k in range(64):
                bits |= (<uint64_t>(block[k] != 0)) << k
            out[b] = bits
    return result


cdef object setup_frame(Frame* fr, planes, sampling, int width, int height, list keep, masks=None):
    """Fill `fr` from Python planes (int16 (bh, bw, 64) C-contiguous) and sampling [(h, v)] per component."""
    cdef const int16_t[:, :, ::1] view
    cdef int c
    fr.ncomp = len(planes)
    if not 1 <= fr.ncomp <= MAX_COMPONENTS or len(sampling) != fr.ncomp:
        raise ValueError("expected 1 to 3 planes with one sampling pair each")
    fr.width = width
    fr.height = height
    fr.h_max = max(h for h, v in sampling)
    fr.v_max = max(v for h, v in sampling)
    fr.mcus_x = (width + 8 * fr.h_max - 1) // (8 * fr.h_max)
    fr.mcus_y = (height + 8 * fr.v_max - 1) // (8 * fr.v_max)
    for c in range(fr.ncomp):
        array = np.ascontiguousarray(planes[c], dtype=np.int16)
        keep.append(array)
        view = array
        h, v = sampling[c]
        bw = ((width * h + fr.h_max - 1) // fr.h_max + 7) // 8
        bh = ((height * v + fr.v_max - 1) // fr.v_max + 7) // 8
        if view.shape[0] != bh or view.shape[1] != bw or view.shape[2] != 64:
            raise ValueError(f"plane {c} has shape {array.shape}, expected ({bh}, {bw}, 64)")
        fr.planes[c].coefs = &view[0, 0, 0]
        plane_masks = masks[c] if masks is not None and masks[c] is not None else None
        if plane_masks is None or plane_masks.dtype != np.uint64 or plane_masks.shape[0] < bw * bh:
            plane_masks = nonzero_masks(array)
        keep.append(plane_masks)
        fr.planes[c].masks = <const uint64_t*><size_t>plane_masks.ctypes.data
        fr.planes[c].blocks_w = bw
        fr.planes[c].blocks_h = bh
        fr.planes[c].h_samp = h
        fr.planes[c].v_samp = v
        fr.planes[c].huff_table = 0 if c == 0 else 1


def encode_planes(planes, sampling, int width, int height, qtables, comp_qtable, scans=None,
                  const uint8_t[::1] extra_segments=b"", masks=None):
    """Write a JPEG from quantized zigzag planes.

    scans: None for a sequential (SOF0) file with optimal tables, else a progressive (SOF2) script: a list of
    (components tuple, ss, se, ah, al) that must be valid per T.81 G.1.1.1 (cyjpeg._size.check_script).
    masks: optional per-plane nonzero bitmaps (see cyjpeg._coefficients.quantize); computed when absent.
    qtables: uint16 (n, 64) natural order; comp_qtable: the table index of each component.
    """
    cdef Frame fr
    cdef Work* wk
    cdef BitWriter writer
    cdef list keep = []
    cdef const uint16_t[:, ::1] qview = np.ascontiguousarray(qtables, dtype=np.uint16)
    cdef int comp_q[MAX_COMPONENTS]
    cdef int comps[MAX_COMPONENTS]
    cdef int status = 0, nscan, i, s
    cdef int[:, ::1] script
    setup_frame(&fr, planes, sampling, width, height, keep, masks)
    for i in range(fr.ncomp):
        comp_q[i] = comp_qtable[i]
    if scans is not None:
        nscan = len(scans)
        script_array = np.zeros((max(nscan, 1), 8), dtype=np.intc)
        for s, (cs, ss, se, ah, al) in enumerate(scans):
            script_array[s, 0] = len(cs)
            for i, c in enumerate(cs):
                script_array[s, 1 + i] = c
            script_array[s, 4:8] = (ss, se, ah, al)
        script = script_array
    wk = <Work*>calloc(1, sizeof(Work))
    memset(&writer, 0, sizeof(BitWriter))
    writer.free_bits = 64
    if wk == NULL:
        raise MemoryError("cannot allocate the scan coder")
    try:
        with nogil:
            status = reserve(&writer, <size_t>width * height // 4 + HEADER_ROOM + extra_segments.shape[0])
            if status == 0:
                write_headers(&fr, &writer, &qview[0, 0], qview.shape[0], comp_q, scans is not None,
                              &extra_segments[0] if extra_segments.shape[0] else NULL, extra_segments.shape[0])
                if scans is None:
                    status = encode_sequential(&fr, wk, &writer)
                else:
                    for s in range(nscan):
                        for i in range(script[s, 0]):
                            comps[i] = script[s, 1 + i]
                        status = encode_scan(&fr, wk, &writer, comps, script[s, 0], script[s, 4], script[s, 5],
                                             script[s, 6], script[s, 7])
                        if status != 0:
                            break
            if status == 0:
                status = reserve(&writer, 16)
            if status == 0:
                put_u16(&writer, 0xFFD9)
        if status == -1:
            raise MemoryError("out of memory for the output buffer")
        if status != 0:
            raise RuntimeError("internal error: invalid Huffman table")
        return PyBytes_FromStringAndSize(<char*>writer.data, <Py_ssize_t>writer.size)
    finally:
        free(writer.data)
        free(wk)


def scan_bits(planes, sampling, int width, int height, scans):
    """Cost in bits of each scan (symbols with its own optimal tables, extra bits, DHT segments), without
    writing: what a scan-script search compares. scans as for encode_planes; returns a list of ints."""
    cdef Frame fr
    cdef Work* wk
    cdef list keep = []
    cdef int comps[MAX_COMPONENTS]
    cdef int i, t, ncomp, ss, se, ah, al
    cdef int64_t bits
    setup_frame(&fr, planes, sampling, width, height, keep)
    wk = <Work*>calloc(1, sizeof(Work))
    if wk == NULL:
        raise MemoryError("cannot allocate the scan coder")
    result = []
    try:
        for cs, ss, se, ah, al in scans:
            ncomp = len(cs)
            for i in range(ncomp):
                comps[i] = cs[i]
            with nogil:
                memset(wk.dc_freq, 0, sizeof(wk.dc_freq))
                memset(wk.ac_freq, 0, sizeof(wk.ac_freq))
                start_coder(wk, NULL, ss, se, ah, al)
                run_scan(&fr, &wk.coder, comps, ncomp, 0)
                bits = wk.coder.raw_bits + 8 * 14 + 16 * ncomp   # SOS segment, with its marker
                for t in range(2):
                    if has_symbols(wk.dc_freq[t]):
                        bits += table_bits(wk.dc_freq[t], &wk.dc_spec[t]) + 32
                if has_symbols(wk.ac_freq):
                    bits += table_bits(wk.ac_freq, &wk.ac_spec) + 32
            result.append(int(bits))
    finally:
        free(wk)
    return result


def sequential_code_lengths(planes, sampling, int width, int height):
    """Code lengths (uint8 (2, 2, 256): [dc|ac][table][symbol]) of the optimal sequential tables for these
    planes; symbols that never occur get a length estimated as if they had occurred once (the trellis needs
    a finite price for every symbol it might choose)."""
    cdef Frame fr
    cdef Work* wk
    cdef list keep = []
    cdef int i, t, k, length, n, cls
    cdef HuffSpec spec
    cdef int64_t freq[256]
    setup_frame(&fr, planes, sampling, width, height, keep)
    wk = <Work*>calloc(1, sizeof(Work))
    if wk == NULL:
        raise MemoryError("cannot allocate the scan coder")
    lengths = np.zeros((2, 2, 256), dtype=np.uint8)
    cdef uint8_t[:, :, ::1] out = lengths
    try:
        with nogil:
            memset(wk.dc_freq, 0, sizeof(wk.dc_freq))
            for t in range(2):
                memset(wk.ac_freq, 0, sizeof(wk.ac_freq))
                for i in range(fr.ncomp):
                    if fr.planes[i].huff_table == t:
                        start_coder(wk, NULL, 0, 63, 0, 0)
                        count_sequential_component(&fr, &wk.coder, i)
                for cls in range(2):
                    for k in range(256):
                        freq[k] = (wk.dc_freq[t][k] if cls == 0 else wk.ac_freq[k]) * 2
                    # every codable symbol gets a pseudo-count so it has a (long) code
                    for k in range(256):
                        if cls == 0:
                            if k <= 11:
                                freq[k] += 1
                        elif (k & 15) != 0 and (k & 15) <= 10:
                            freq[k] += 1
                        elif k == 0 or k == 0xF0:
                            freq[k] += 1
                    optimal_spec(freq, &spec)
                    n = 0
                    for length in range(1, 17):
                        for i in range(spec.bits[length - 1]):
                            out[cls, t, spec.values[n]] = <uint8_t>length
                            n += 1
    finally:
        free(wk)
    return lengths


def standard_code_lengths():
    """Code lengths (uint8 (2, 2, 256) as sequential_code_lengths) of the T.81 Annex K.3 example tables,
    which code every symbol: a rate model for a first trellis pass without a statistics pass."""
    lengths = np.zeros((2, 2, 256), dtype=np.uint8)
    cdef const uint8_t* bits
    cdef const uint8_t* values
    cdef int cls, t, length, i, n
    for cls in range(2):
        for t in range(2):
            if cls == 0 and t == 0:
                bits, values = &STD_DC_LUMA_BITS[0], &STD_DC_LUMA_VALS[0]
            elif cls == 0:
                bits, values = &STD_DC_CHROMA_BITS[0], &STD_DC_CHROMA_VALS[0]
            elif t == 0:
                bits, values = &STD_AC_LUMA_BITS[0], &STD_AC_LUMA_VALS[0]
            else:
                bits, values = &STD_AC_CHROMA_BITS[0], &STD_AC_CHROMA_VALS[0]
            n = 0
            for length in range(1, 17):
                for i in range(bits[length - 1]):
                    lengths[cls, t, values[n]] = length
                    n += 1
    return lengths
