# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The baseline JPEG encoder: the MCU loop and the marker segments (T.81 Annex B, F.1).

Owns the per-call state, the band pipeline (colour conversion and down-sampling of one MCU row at a time into
a small buffer, never a full-image copy), the order of blocks within an MCU (T.81 A.2.3), the dummy blocks
that pad partial MCUs, restart intervals, the two passes of optimize=True, and every marker segment. This is
the only encoder module that touches Python objects; the kernels come from the .pxd files and are inlined:
_color (RGB->YCbCr, down-sampling), _fdct (forward DCT, with the transposes of _simd.h), _quant (quantize,
zigzag-order nonzero bitmap), _huffenc (Huffman coding and optimal tables), _bitwriter (output bytes).

The arithmetic of every stage reproduces libjpeg-turbo's defaults (islow DCT, no smoothing), so for the same
quantization tables the entropy-coded data is byte-identical to Pillow's.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int16_t, int32_t, int64_t, uint64_t
from libc.stdlib cimport malloc, calloc, free
from libc.string cimport memcpy, memset
from cpython.bytes cimport PyBytes_FromStringAndSize

from cyjpeg._tables cimport (
    ZIGZAG_TO_NATURAL, STD_DC_LUMA_BITS, STD_DC_LUMA_VALS, STD_DC_CHROMA_BITS, STD_DC_CHROMA_VALS,
    STD_AC_LUMA_BITS, STD_AC_LUMA_VALS, STD_AC_CHROMA_BITS, STD_AC_CHROMA_VALS,
)
from cyjpeg._color cimport (
    rgb_row_to_ycc_dispatch, gray_row, downsample_h2v1, downsample_h2v2, downsample_h1v2,
)
from cyjpeg._fdct cimport fdct_islow, fdct_islow_lanes
from cyjpeg._quant cimport (
    Divisors, make_divisors, quantize_block, quantize_block_portable, make_zigzag_mask_table,
)
from cyjpeg._bitwriter cimport (
    BitWriter, RAW_BITS, reserve, put_bytes, put_byte, put_u16, put_bits, flush_bits, flush_word, cy_store_be64,
)

cdef extern from "_intrin.h":
    uint64_t cy_to_big_endian64(uint64_t x) noexcept nogil
from cyjpeg._huffenc cimport (
    HuffCodes, HuffSpec, make_codes, load_spec, encode_block, count_block, optimal_spec,
)
from cyjpeg._markers cimport put_soi_jfif, put_dqt, put_sof, put_dht
from cyjpeg._sync cimport (cy_sync, cy_sync_init, cy_sync_destroy, cy_sync_lock, cy_sync_unlock, cy_sync_wait,
                           cy_sync_wake_all)

cdef extern from "_dispatch.h":
    # Return types that carry the twin attributes (see _dispatch.h).
    ctypedef void avx2_void "CY_AVX2_VOID"
    ctypedef void portable_void "CY_PORTABLE_VOID"
    int cy_cpu_has_avx2() noexcept nogil

cdef extern from "_fdct_avx2.h":
    void cy_fdct_quant_pair_avx2(const uint8_t* p0, const uint8_t* p1, int stride, const uint16_t* recip,
                                 const uint16_t* correction, const uint16_t* scale,
                                 const uint64_t* zigzag_mask_table, int16_t* out0, int16_t* out1,
                                 uint64_t* masks) noexcept nogil

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Zigzag positions of each row's nonzero pattern (see _quant.make_zigzag_mask_table); filled at import.
cdef uint64_t ZIGZAG_MASK_TABLE[8 * 256]
make_zigzag_mask_table(ZIGZAG_MASK_TABLE)

# Which twin of the MCU loop runs (see _dispatch.h); CYJPEG_NO_SIMD=1 in the environment or _set_simd(False)
# forces the portable one.
cdef int use_avx2 = cy_cpu_has_avx2() and not os.environ.get("CYJPEG_NO_SIMD")

cdef enum:
    BLOCK_ROOM = 512     # worst case bytes for one block: 27 + 63 * 26 bits, doubled for 0xFF stuffing
    HEADER_ROOM = 2048   # more than all marker segments before SOS together
    MIN_THREADED_PIXELS = 1 << 18   # below this, starting threads costs more than it saves
    MIN_BAND_MCU_ROWS = 2           # bands cost little: each recomputes one MCU before it (its DC predictions)
    BANDS_PER_THREAD = 12           # more bands than threads evens out bands of unequal detail

cdef enum:
    MODE_ENCODE = 0   # entropy-coded bytes with 0xFF stuffing and RST markers, into st.writer
    MODE_COUNT = 1    # count the Huffman symbols for optimal tables (T.81 K.2); write nothing
    MODE_SPLIT = 2    # a band of a threaded encode: raw bits, cut into pieces where RST markers go
    MODE_PRIME = 3    # only follow the DC predictions (the last MCU before a band)

cdef struct Component:
    int h_samp, v_samp         # sampling factors (T.81 A.1.1)
    int width_blocks           # blocks across that hold image data; more in an MCU are dummies
    int height_blocks
    int table                  # 0: luma tables, 1: chroma tables
    int band_stride            # bytes per row of `band`
    uint8_t* band              # 8 * v_samp rows of samples for the current MCU row

cdef struct EncoderState:
    const uint8_t* pixels
    int width, height, ncomp
    int h_max, v_max
    int mcus_x, mcus_y
    int restart_interval
    const uint8_t* extra_segments  # complete APPn/COM segments to write after APP0 (metadata)
    size_t extra_segments_size
    Component comp[3]
    uint8_t* full_cb           # two full-resolution chroma rows waiting to be down-sampled
    uint8_t* full_cr
    Divisors divisors[2]
    HuffSpec dc_spec[2]
    HuffSpec ac_spec[2]
    HuffCodes dc_codes[2]
    HuffCodes ac_codes[2]
    int64_t dc_freq[2][256]
    int64_t ac_freq[2][256]
    BitWriter writer
    # MODE_SPLIT only: the band's raw bits are cut into pieces at restart markers; piece i is
    # piece_bits[i] bits long and starts at a byte boundary of writer.data, right after piece i - 1.
    uint64_t* piece_bits
    int piece_count
    int piece_capacity
    size_t piece_start         # byte offset in writer.data where the open piece starts
    const char* error


cdef inline int imin(int a, int b) noexcept nogil:
    return a if a < b else b


cdef inline void fill_band(EncoderState* st, int mcu_row, int first_mcu_col, int avx2) noexcept nogil:
    """Colour-convert and down-sample the rows of MCU row `mcu_row` into the component bands, from MCU column
    `first_mcu_col` to the right edge (0 for the whole row; the last column alone to prime a band's DC).
    avx2: 1 only in the AVX2 twin (a constant there, so each twin keeps only its own colour path).

    Bottom-edge padding follows libjpeg: full-resolution rows past the image repeat the last row; a
    down-sampled chroma row that would start below the image repeats the last down-sampled row (which, for
    4:2:0 with an even height, is the average of the last two rows rather than the last row alone).
    """
    cdef Component* luma = &st.comp[0]
    cdef Component* cb = &st.comp[1]
    cdef Component* cr = &st.comp[2]
    cdef int first_row = mcu_row * 8 * st.v_max
    cdef int t, src_row, sub_row, chroma_row, last_chroma_row
    # Every offset is a multiple of 8 samples, so the alternating rounding of the down-sampling filters
    # (which depends on the parity of the output column) is unchanged.
    cdef int x0 = first_mcu_col * 8 * st.h_max          # first full-resolution column
    cdef int cx0 = first_mcu_col * 8                    # first down-sampled chroma column
    cdef int width = st.width - x0, luma_width = luma.band_stride - x0
    cdef int chroma_width = cb.band_stride - cx0
    cdef uint8_t* luma_band = luma.band + x0
    cdef uint8_t* cb_band = cb.band + cx0
    cdef uint8_t* cr_band = cr.band + cx0
    cdef uint8_t* full_cb = st.full_cb + x0 if st.full_cb != NULL else NULL   # (only with down-sampling)
    cdef uint8_t* full_cr = st.full_cr + x0 if st.full_cr != NULL else NULL
    cdef const uint8_t* src
    if st.ncomp == 1:
        for t in range(8):
            src_row = imin(first_row + t, st.height - 1)
            gray_row(st.pixels + <size_t>src_row * st.width + x0, width, luma_width,
                     luma_band + t * luma.band_stride)
        return
    last_chroma_row = (st.height - 1) // st.v_max
    for t in range(8 * st.v_max):
        src_row = imin(first_row + t, st.height - 1)
        src = st.pixels + (<size_t>src_row * st.width + x0) * 3
        if st.h_max == 1 and st.v_max == 1:
            rgb_row_to_ycc_dispatch(src, width, luma_width, luma_band + t * luma.band_stride,
                                    cb_band + t * cb.band_stride, cr_band + t * cb.band_stride, avx2)
            continue
        sub_row = t % st.v_max
        rgb_row_to_ycc_dispatch(src, width, luma_width, luma_band + t * luma.band_stride,
                                full_cb + sub_row * luma.band_stride, full_cr + sub_row * luma.band_stride, avx2)
        if sub_row != st.v_max - 1:
            continue
        chroma_row = t // st.v_max
        if mcu_row * 8 + chroma_row > last_chroma_row:
            # Below the image: repeat the last down-sampled row (it is earlier in this same band).
            memcpy(cb_band + chroma_row * cb.band_stride, cb_band + (chroma_row - 1) * cb.band_stride, chroma_width)
            memcpy(cr_band + chroma_row * cb.band_stride, cr_band + (chroma_row - 1) * cb.band_stride, chroma_width)
        elif st.v_max == 1:
            downsample_h2v1(full_cb, chroma_width, cb_band + chroma_row * cb.band_stride)
            downsample_h2v1(full_cr, chroma_width, cr_band + chroma_row * cb.band_stride)
        elif st.h_max == 2:
            downsample_h2v2(full_cb, full_cb + luma.band_stride, chroma_width, cb_band + chroma_row * cb.band_stride)
            downsample_h2v2(full_cr, full_cr + luma.band_stride, chroma_width, cr_band + chroma_row * cb.band_stride)
        else:
            downsample_h1v2(full_cb, full_cb + luma.band_stride, chroma_width, cb_band + chroma_row * cb.band_stride)
            downsample_h1v2(full_cr, full_cr + luma.band_stride, chroma_width, cr_band + chroma_row * cb.band_stride)


cdef struct LumaAhead:
    # A luma block of the next MCU, transformed together with this MCU's one (MCUs with one luma block).
    int mcu_x                  # the MCU it belongs to, or -1
    uint64_t nonzero_mask
    int16_t quantized[64]


cdef inline void code_mcu(EncoderState* st, int mcu_x, int mcu_y, int mode, int32_t* dc_pred,
                          int avx2, LumaAhead* ahead) noexcept nogil:
    """Transform, quantize and code (or count) the blocks of one MCU from the current component bands.

    avx2 (a constant 1 only in the AVX2 twin): blocks that share a quantization table are transformed two at a
    time (_fdct_avx2.h): the two luma blocks of a row for 4:2:2 and 4:2:0, Cb with Cr, and when an MCU has a
    single luma block (grayscale, 4:4:4), that block with the next MCU's, which waits in `ahead`.
    In MODE_ENCODE and MODE_SPLIT the caller has reserved the output room.
    """
    cdef int16_t dct_work[128]
    cdef int16_t coefs[64]
    cdef int16_t quant_a[64]
    cdef int16_t quant_b[64]      # the second block of a pair, coded next
    cdef uint64_t pair_masks[2]
    cdef int16_t* quantized
    cdef uint64_t nonzero_mask
    cdef int c, bx, by, block_col, block_row, table
    cdef bint pending = False
    cdef int16_t previous_dc = 0
    cdef Component* comp
    cdef const uint8_t* samples
    cdef const uint8_t* partner
    cdef const Divisors* div
    # T.81 A.2.3: an MCU holds h x v blocks of each component in turn, row by row.
    for c in range(st.ncomp):
        comp = &st.comp[c]
        table = comp.table
        div = &st.divisors[table]
        for by in range(comp.v_samp):
            block_row = mcu_y * comp.v_samp + by
            for bx in range(comp.h_samp):
                block_col = mcu_x * comp.h_samp + bx
                quantized = quant_a
                if c == 0 and ahead.mcu_x == mcu_x:
                    # Transformed with the previous MCU's luma block (same MCU row: `ahead` is reset per row).
                    quantized = ahead.quantized
                    nonzero_mask = ahead.nonzero_mask
                    ahead.mcu_x = -1
                elif pending:
                    # Transformed together with the block before it.
                    quantized = quant_b
                    nonzero_mask = pair_masks[1]
                    pending = False
                elif block_col < comp.width_blocks and block_row < comp.height_blocks:
                    samples = comp.band + by * 8 * comp.band_stride + block_col * 8
                    partner = NULL
                    if avx2:
                        if c == 0 and bx + 1 < comp.h_samp and block_col + 1 < comp.width_blocks:
                            partner = samples + 8
                        elif c == 1:   # Cr's block sits at the same place in its band as Cb's
                            partner = st.comp[2].band + (samples - comp.band)
                        elif (c == 0 and comp.h_samp == 1 and comp.v_samp == 1 and mode != MODE_PRIME
                              and block_col + 1 < comp.width_blocks):
                            # The next MCU's luma block is the next 8 columns of the band.
                            cy_fdct_quant_pair_avx2(samples, samples + 8, comp.band_stride, div.recip,
                                                    div.correction, div.scale, ZIGZAG_MASK_TABLE, quant_a,
                                                    ahead.quantized, pair_masks)
                            nonzero_mask = pair_masks[0]
                            ahead.nonzero_mask = pair_masks[1]
                            ahead.mcu_x = mcu_x + 1
                            partner = samples     # done: skip the single-block path below
                    if partner == samples:
                        pass
                    elif partner != NULL:
                        cy_fdct_quant_pair_avx2(samples, partner, comp.band_stride, div.recip, div.correction,
                                                div.scale, ZIGZAG_MASK_TABLE, quant_a, quant_b, pair_masks)
                        nonzero_mask = pair_masks[0]
                        pending = True
                    else:
                        fdct_islow(samples, comp.band_stride, dct_work, coefs)
                        nonzero_mask = quantize_block(coefs, div, ZIGZAG_MASK_TABLE, quant_a)
                else:
                    # A dummy block that only pads the MCU: no AC, and the DC of the block before it in the
                    # MCU (always of the same component: an MCU's first block of each component holds
                    # image data), so its DC difference is 0 (libjpeg does the same).
                    quant_a[0] = previous_dc
                    nonzero_mask = 1 if previous_dc != 0 else 0
                previous_dc = quantized[0]
                if mode == MODE_COUNT:
                    count_block(quantized, nonzero_mask, &dc_pred[c], st.dc_freq[table], st.ac_freq[table])
                elif mode == MODE_PRIME:
                    dc_pred[c] = quantized[0]
                else:
                    encode_block(&st.writer, quantized, nonzero_mask, &dc_pred[c],
                                 &st.dc_codes[table], &st.ac_codes[table])


cdef inline int end_piece(EncoderState* st) noexcept nogil:
    """MODE_SPLIT: close the open piece. Its pending bits go out as whole bytes, left-aligned and zero-filled
    (not padded with 1-bits: the merge knows the piece's length in bits and pads only before a marker)."""
    cdef BitWriter* w = &st.writer
    cdef int pending = 64 - w.free_bits
    if st.piece_count >= st.piece_capacity:
        st.error = "internal error: too many restart intervals in a band"
        return -1
    if reserve(w, 8) != 0:
        st.error = "out of memory for the output buffer"
        return -1
    st.piece_bits[st.piece_count] = <uint64_t>(w.size - st.piece_start) * 8 + <uint64_t>pending
    st.piece_count += 1
    if pending:
        cy_store_be64(w.data + w.size, w.bits << (64 - pending))
        w.size += (pending + 7) >> 3
    w.bits = 0
    w.free_bits = 64
    st.piece_start = w.size
    return 0


cdef inline int encode_rows(EncoderState* st, int mode, int first_row, int end_row, int avx2) noexcept nogil:
    """Code MCU rows first_row .. end_row - 1 in MODE_ENCODE, MODE_COUNT or MODE_SPLIT.

    A band that starts below the top begins with the DC predictions of the last MCU of the row above
    (T.81 F.1.2.1: each DC is coded as the difference to the previous block of its component), unless a
    restart interval starts there and resets them. Returns 0, or -1 with st.error set.
    """
    cdef int32_t dc_pred[3]
    cdef int mcu_x, mcu_y, c
    cdef int blocks_per_mcu = 0
    cdef int64_t mcus_done = <int64_t>first_row * st.mcus_x
    cdef int64_t interval = st.restart_interval
    cdef LumaAhead ahead
    ahead.mcu_x = -1
    for c in range(st.ncomp):
        blocks_per_mcu += st.comp[c].h_samp * st.comp[c].v_samp
        dc_pred[c] = 0
    if first_row > 0 and not (interval and mcus_done % interval == 0):
        # The band that owns that MCU runs concurrently: recompute just that MCU rather than wait for it.
        fill_band(st, first_row - 1, st.mcus_x - 1, avx2)
        code_mcu(st, st.mcus_x - 1, first_row - 1, MODE_PRIME, dc_pred, avx2, &ahead)
    for mcu_y in range(first_row, end_row):
        fill_band(st, mcu_y, 0, avx2)
        ahead.mcu_x = -1
        for mcu_x in range(st.mcus_x):
            if interval and mcus_done and mcus_done % interval == 0:
                # T.81 F.1.2.3 and B.2.1: byte-align with 1-bits, write RSTn (n counts modulo 8), and
                # restart DC prediction (T.81 F.1.1.5.1).
                if mode == MODE_ENCODE:
                    if reserve(&st.writer, 32) != 0:
                        st.error = "out of memory for the output buffer"
                        return -1
                    flush_bits(&st.writer)
                    put_byte(&st.writer, 0xFF)
                    put_byte(&st.writer, <uint8_t>(0xD0 + ((mcus_done // interval - 1) & 7)))
                elif mode == MODE_SPLIT:
                    if end_piece(st) != 0:
                        return -1
                for c in range(st.ncomp):
                    dc_pred[c] = 0
            if mode != MODE_COUNT and reserve(&st.writer, blocks_per_mcu * BLOCK_ROOM) != 0:
                st.error = "out of memory for the output buffer"
                return -1
            code_mcu(st, mcu_x, mcu_y, mode, dc_pred, avx2, &ahead)
            mcus_done += 1
    if mode == MODE_SPLIT:
        return end_piece(st)
    return 0


# The two twins of the MCU loop (_dispatch.h): the same source, compiled for baseline x86-64 and for AVX2.
# (They return through a pointer: a C variable of the attributed return type would draw compiler warnings.)
cdef avx2_void encode_rows_avx2(EncoderState* st, int mode, int first_row, int end_row,
                                int* status) noexcept nogil:
    status[0] = encode_rows(st, mode, first_row, end_row, 1)


cdef portable_void encode_rows_portable(EncoderState* st, int mode, int first_row, int end_row,
                                        int* status) noexcept nogil:
    status[0] = encode_rows(st, mode, first_row, end_row, 0)


cdef int run_rows(EncoderState* st, int mode, int first_row, int end_row) noexcept nogil:
    cdef int status = -1
    if use_avx2:
        encode_rows_avx2(st, mode, first_row, end_row, &status)
    else:
        encode_rows_portable(st, mode, first_row, end_row, &status)
    return status


cdef void put_raw_bits(BitWriter* w, const uint8_t* src, uint64_t nbits) noexcept nogil:
    """Append `nbits` bits read most significant first from `src` (a piece of a MODE_SPLIT band), with the
    0xFF stuffing that the band left out. The caller has reserved the room.

    Whole 64-bit words go through flush_word directly: the register's pending bits followed by the word's
    top bits fill one output word, and the word's low bits stay pending (bits above the pending ones are
    ignored, as in put_bits), so the merge costs one stuffing check per 8 bytes.
    """
    cdef uint64_t word
    cdef int pending
    cdef uint32_t part
    cdef int k, nbytes
    while nbits >= 64:
        memcpy(&word, src, 8)
        word = cy_to_big_endian64(word)      # a byte swap on little-endian CPUs: it also loads big-endian
        pending = 64 - w.free_bits
        if pending == 0:
            flush_word(w, word)
        elif pending == 64:
            flush_word(w, w.bits)
            w.bits = word
        else:
            flush_word(w, (w.bits << w.free_bits) | (word >> pending))
            w.bits = word
        src += 8
        nbits -= 64
    while nbits >= 32:
        part = (<uint32_t>src[0] << 24) | (<uint32_t>src[1] << 16) | (<uint32_t>src[2] << 8) | src[3]
        put_bits(w, part, 32)
        src += 4
        nbits -= 32
    if nbits:
        nbytes = <int>((nbits + 7) >> 3)
        part = 0
        for k in range(nbytes):
            part = (part << 8) | src[k]
        put_bits(w, part >> (8 * nbytes - <int>nbits), <int>nbits)


cdef int merge_band(EncoderState* st, EncoderState* band, int* restart_number) noexcept nogil:
    """Append a MODE_SPLIT band to the output: its pieces' bits, then between pieces the padding and the RSTn
    marker the serial coder writes there. The bits are the same and so are the bytes, for any split."""
    cdef const uint8_t* raw = band.writer.data
    cdef size_t offset = 0
    cdef uint64_t nbits
    cdef int i
    if reserve(&st.writer, band.writer.size * 2 + <size_t>band.piece_count * 24 + 64) != 0:
        st.error = "out of memory for the output buffer"
        return -1
    for i in range(band.piece_count):
        nbits = band.piece_bits[i]
        put_raw_bits(&st.writer, raw + offset, nbits)
        offset += <size_t>((nbits + 7) >> 3)
        if i + 1 < band.piece_count:
            flush_bits(&st.writer)
            put_byte(&st.writer, 0xFF)
            put_byte(&st.writer, <uint8_t>(0xD0 + restart_number[0]))
            restart_number[0] = (restart_number[0] + 1) & 7
    return 0


cdef void write_headers(EncoderState* st, const uint16_t* qtables) noexcept nogil:
    """SOI, APP0 (JFIF), DQT, SOF0, DHT, DRI: each segment as libjpeg writes it, so sizes match Pillow's."""
    cdef BitWriter* w = &st.writer
    cdef int t, c, ntables = 1 if st.ncomp == 1 else 2
    cdef uint8_t sampling[3]
    cdef uint8_t qtable_ids[3]
    for c in range(st.ncomp):
        sampling[c] = <uint8_t>((st.comp[c].h_samp << 4) | st.comp[c].v_samp)
        qtable_ids[c] = <uint8_t>st.comp[c].table
    put_soi_jfif(w)
    # Metadata segments (EXIF APP1, ICC APP2 chunks, COM) arrive fully formed from cyjpeg._metadata.
    put_bytes(w, st.extra_segments, st.extra_segments_size)
    put_dqt(w, qtables, ntables)
    put_sof(w, 0xFFC0, st.width, st.height, st.ncomp, sampling, qtable_ids)   # SOF0: baseline
    # DHT: DC then AC of the luma tables, then the chroma ones (Pillow's order).
    for t in range(ntables):
        put_dht(w, 0, t, &st.dc_spec[t])
        put_dht(w, 1, t, &st.ac_spec[t])
    if st.restart_interval:                 # DRI (T.81 B.2.4.4)
        put_u16(w, 0xFFDD)
        put_u16(w, 4)
        put_u16(w, <uint32_t>st.restart_interval)
    # SOS (T.81 B.2.3): all components interleaved, spectral selection 0..63, no approximation.
    put_u16(w, 0xFFDA)
    put_u16(w, <uint32_t>(6 + 2 * st.ncomp))
    put_byte(w, <uint8_t>st.ncomp)
    for c in range(st.ncomp):
        put_byte(w, <uint8_t>(c + 1))
        put_byte(w, <uint8_t>((st.comp[c].table << 4) | st.comp[c].table))
    put_byte(w, 0)
    put_byte(w, 63)
    put_byte(w, 0)




cdef void prepare_tables(EncoderState* st, const uint16_t* qtables, bint optimize) noexcept nogil:
    cdef int t
    cdef int ntables = 1 if st.ncomp == 1 else 2
    for t in range(ntables):
        make_divisors(qtables + 64 * t, &st.divisors[t])
    memset(st.dc_freq, 0, sizeof(st.dc_freq))
    memset(st.ac_freq, 0, sizeof(st.ac_freq))
    if not optimize:
        # T.81 Annex K.3, Tables K.3 to K.6: the typical tables that libjpeg uses by default.
        load_spec(STD_DC_LUMA_BITS, STD_DC_LUMA_VALS, &st.dc_spec[0])
        load_spec(STD_AC_LUMA_BITS, STD_AC_LUMA_VALS, &st.ac_spec[0])
        load_spec(STD_DC_CHROMA_BITS, STD_DC_CHROMA_VALS, &st.dc_spec[1])
        load_spec(STD_AC_CHROMA_BITS, STD_AC_CHROMA_VALS, &st.ac_spec[1])


cdef void optimal_tables(EncoderState* st) noexcept nogil:
    """optimize=True: the tables from the symbol counts in st.dc_freq / st.ac_freq (T.81 K.2)."""
    cdef int t
    for t in range(1 if st.ncomp == 1 else 2):
        optimal_spec(st.dc_freq[t], &st.dc_spec[t])
        optimal_spec(st.ac_freq[t], &st.ac_spec[t])


cdef int start_output(EncoderState* st, const uint16_t* qtables) noexcept nogil:
    """Code words from the table specs, then every marker segment up to and including SOS."""
    cdef int t
    for t in range(1 if st.ncomp == 1 else 2):
        if make_codes(&st.dc_spec[t], &st.dc_codes[t]) != 0 or make_codes(&st.ac_spec[t], &st.ac_codes[t]) != 0:
            st.error = "internal error: invalid Huffman table"
            return -1
    if reserve(&st.writer, HEADER_ROOM + st.extra_segments_size) != 0:
        st.error = "out of memory for the output buffer"
        return -1
    write_headers(st, qtables)
    return 0


cdef int finish_output(EncoderState* st) noexcept nogil:
    if reserve(&st.writer, 32) != 0:
        st.error = "out of memory for the output buffer"
        return -1
    flush_bits(&st.writer)
    put_u16(&st.writer, 0xFFD9)             # EOI
    return 0


cdef int encode_serial(EncoderState* st, const uint16_t* qtables, bint optimize) noexcept nogil:
    """The whole encode on the calling thread."""
    if optimize:
        # Two passes over the band pipeline instead of storing every quantized block: recomputing costs time
        # but keeps memory at the input + output + one MCU row (issue 5), and optimize is not the hot path.
        if run_rows(st, MODE_COUNT, 0, st.mcus_y) != 0:
            return -1
        optimal_tables(st)
    if start_output(st, qtables) != 0 or run_rows(st, MODE_ENCODE, 0, st.mcus_y) != 0:
        return -1
    return finish_output(st)


cdef void set_geometry(EncoderState* st, int h_samp, int v_samp) noexcept nogil:
    """Fill in the component geometry (T.81 A.1.1)."""
    cdef Component* comp
    cdef int c
    st.h_max = h_samp
    st.v_max = v_samp
    st.mcus_x = (st.width + 8 * h_samp - 1) // (8 * h_samp)
    st.mcus_y = (st.height + 8 * v_samp - 1) // (8 * v_samp)
    for c in range(st.ncomp):
        comp = &st.comp[c]
        comp.h_samp = h_samp if c == 0 else 1
        comp.v_samp = v_samp if c == 0 else 1
        comp.table = 0 if c == 0 else 1
        # Component size is ceil(image size * samp / max samp) samples (T.81 A.1.1), in whole blocks.
        comp.width_blocks = ((st.width * comp.h_samp + h_samp - 1) // h_samp + 7) // 8
        comp.height_blocks = ((st.height * comp.v_samp + v_samp - 1) // v_samp + 7) // 8
        comp.band_stride = st.mcus_x * 8 * comp.h_samp


cdef int allocate_bands(EncoderState* st) noexcept nogil:
    """The working space of the band pipeline: one MCU row per component, two full-width chroma rows."""
    cdef int c
    for c in range(st.ncomp):
        st.comp[c].band = <uint8_t*>malloc(<size_t>st.comp[c].band_stride * 8 * st.comp[c].v_samp)
        if st.comp[c].band == NULL:
            return -1
    if st.ncomp == 3 and (st.h_max != 1 or st.v_max != 1):
        st.full_cb = <uint8_t*>malloc(<size_t>st.comp[0].band_stride * 2)
        st.full_cr = <uint8_t*>malloc(<size_t>st.comp[0].band_stride * 2)
        if st.full_cb == NULL or st.full_cr == NULL:
            return -1
    return 0


cdef void free_band_buffers(EncoderState* st) noexcept nogil:
    """Free the working space allocate_bands made (a coded band keeps only its output and counts)."""
    cdef int c
    for c in range(3):
        free(st.comp[c].band)
        st.comp[c].band = NULL
    free(st.full_cb)
    free(st.full_cr)
    st.full_cb = st.full_cr = NULL


cdef void free_state(EncoderState* st) noexcept nogil:
    if st == NULL:
        return
    free_band_buffers(st)
    free(st.writer.data)
    free(st.piece_bits)
    free(st)


cdef EncoderState* new_band_state(const EncoderState* template, int first_row, int end_row,
                                  int mode) noexcept nogil:
    """A band's own copy of the encoder state (tables, band buffers, output, counts); NULL when out of
    memory. Made by the thread that codes the band, from a template nothing writes to meanwhile."""
    cdef EncoderState* st = <EncoderState*>malloc(sizeof(EncoderState))
    cdef int c
    cdef int64_t band_mcus
    if st == NULL:
        return NULL
    memcpy(st, template, sizeof(EncoderState))
    for c in range(3):
        st.comp[c].band = NULL
    st.full_cb = st.full_cr = NULL
    memset(&st.writer, 0, sizeof(BitWriter))
    st.writer.free_bits = 64
    st.piece_bits = NULL
    st.piece_count = 0
    st.piece_start = 0
    st.error = NULL
    memset(st.dc_freq, 0, sizeof(st.dc_freq))
    memset(st.ac_freq, 0, sizeof(st.ac_freq))
    if allocate_bands(st) != 0:
        free_state(st)
        return NULL
    if mode == MODE_SPLIT:
        st.writer.raw = RAW_BITS
        band_mcus = <int64_t>(end_row - first_row) * st.mcus_x
        st.piece_capacity = <int>(band_mcus // st.restart_interval + 2) if st.restart_interval else 1
        st.piece_bits = <uint64_t*>malloc(sizeof(uint64_t) * st.piece_capacity)
        if st.piece_bits == NULL or reserve(&st.writer, <size_t>band_mcus * 64 * st.h_max * st.v_max
                                            * st.ncomp // 5 + 1024) != 0:
            free_state(st)
            return NULL
    return st


ctypedef struct MergeState:
    # The MODE_SPLIT bands of one encode, appended to `out` in order by whichever thread finds the next one
    # coded: a thread that finishes a band merges every band from `next` on that is ready, unless another
    # thread is merging already (that one will find it). All fields are guarded by `sync`, but the merge
    # itself runs unlocked: only the thread that set `merging` touches `out` and `restart_number`.
    cy_sync sync
    EncoderState* out
    EncoderState** coded       # band i's state once it is coded (NULL before; a band that fails sets `failed`)
    int count, next, merging, failed
    int restart_number


cdef void merge_ready(MergeState* q, int index, EncoderState* band) noexcept nogil:
    """Band `index` is done (band NULL: it failed): merge what is ready, unless another thread is merging."""
    cdef EncoderState* ready
    cdef int status
    cy_sync_lock(&q.sync)
    q.coded[index] = band
    if band == NULL:
        q.failed = 1
    if not q.merging:
        q.merging = 1
        while not q.failed and q.next < q.count and q.coded[q.next] != NULL:
            ready = q.coded[q.next]
            cy_sync_unlock(&q.sync)
            status = merge_band(q.out, ready, &q.restart_number)
            free(ready.writer.data)        # merged: its raw bits are not needed any more
            ready.writer.data = NULL
            cy_sync_lock(&q.sync)
            if status != 0:
                q.failed = 1
            else:
                q.next += 1
        q.merging = 0
    cy_sync_unlock(&q.sync)


cdef class _BandQueue:
    """The shared part of a threaded encode's bands: the state they copy, and where MODE_SPLIT bands are
    merged as they finish (MergeState)."""
    cdef EncoderState* template
    cdef MergeState merge
    cdef int sync_ready

    def __cinit__(self):
        self.template = NULL
        self.merge.coded = NULL
        self.sync_ready = 0

    cdef int setup(self, EncoderState* out, int count) except -1:
        if cy_sync_init(&self.merge.sync) != 0:
            raise MemoryError("cannot make a lock for the worker threads")
        self.sync_ready = 1
        self.template = <EncoderState*>malloc(sizeof(EncoderState))
        self.merge.coded = <EncoderState**>calloc(count, sizeof(EncoderState*))
        if self.template == NULL or self.merge.coded == NULL:
            raise MemoryError("cannot allocate the bands of a threaded encode")
        memcpy(self.template, out, sizeof(EncoderState))
        self.merge.out = out
        self.merge.count = count
        self.merge.next = 0
        self.merge.merging = 0
        self.merge.failed = 0
        self.merge.restart_number = 0
        return 0

    def __dealloc__(self):
        if self.sync_ready:
            cy_sync_destroy(&self.merge.sync)
        free(self.template)
        free(self.merge.coded)


cdef class _Band:
    """One band of MCU rows of a threaded encode. run() makes the band's state, codes the rows and (MODE_SPLIT)
    merges what is ready, all without the GIL."""
    cdef EncoderState* st
    cdef _BandQueue queue
    cdef int index, first_row, end_row, mode, status

    def __dealloc__(self):
        free_state(self.st)

    def run(self):
        cdef MergeState* merge = &self.queue.merge
        cdef const EncoderState* template = self.queue.template
        cdef EncoderState* st
        cdef int mode = self.mode, first_row = self.first_row, end_row = self.end_row, status = -1
        with nogil:
            st = new_band_state(template, first_row, end_row, mode)
            if st != NULL:
                status = run_rows(st, mode, first_row, end_row)
                free_band_buffers(st)
            if mode == MODE_SPLIT:
                merge_ready(merge, self.index, st if status == 0 else NULL)
        self.st = st
        self.status = status


def band_rows(int mcus_y, int width, int height, int threads):
    """Split the MCU rows into bands for `threads` threads: [(first_row, end_row), ...]. Only the speed
    depends on the split: the merged output is the same bytes for any split."""
    if threads <= 1 or <int64_t>width * height < MIN_THREADED_PIXELS:
        return [(0, mcus_y)]
    count = min(threads * BANDS_PER_THREAD, mcus_y // MIN_BAND_MCU_ROWS)
    if count < 2:
        return [(0, mcus_y)]
    edges = [mcus_y * i // count for i in range(count + 1)]
    return list(zip(edges[:count], edges[1:]))


_pool = None
_pool_size = 0
_pool_lock = threading.Lock()


def band_pool(int threads):
    """A thread pool with at least `threads` workers, kept between calls: starting threads for every encode
    cost about as much as the merge. Shared by concurrent encodes and decodes (run_shared)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool_size < threads:
            # The smaller pool is dropped, not shut down: a concurrent call may still be about to submit to
            # it. Its threads finish what was queued and exit once it is collected.
            _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cyjpeg-band")
            _pool_size = threads
        return _pool


cdef class JobGate:
    """What a threaded encode or decode passes its jobs through, so that the C memory they use is never
    freed while one runs, however the caller's code ends (an error, or an exception a signal handler raised
    anywhere in it, even between a pool.submit and storing its future, where a future-based join cannot
    help). Workers call run(job); the caller ends with close_and_wait(), after which no job starts and
    none is running. run() enters, runs and leaves in C: no Python code runs in between, so no exception
    from a signal handler can come between the count and the job."""
    cdef cy_sync sync
    cdef int active            # jobs running now
    cdef int closed            # no job starts any more

    def __cinit__(self):
        if cy_sync_init(&self.sync) != 0:
            raise MemoryError("cannot make a lock for the worker threads")

    def __dealloc__(self):
        cy_sync_destroy(&self.sync)

    def run(self, job):
        """job.run() unless the gate is closed; True when it ran."""
        cdef bint open_
        cy_sync_lock(&self.sync)
        open_ = not self.closed
        if open_:
            self.active += 1
        cy_sync_unlock(&self.sync)
        if not open_:
            return False
        try:
            job.run()
        finally:
            cy_sync_lock(&self.sync)
            self.active -= 1
            cy_sync_wake_all(&self.sync)
            cy_sync_unlock(&self.sync)
        return True

    def close_and_wait(self):
        """No job starts after this; returns once none is running (waiting without the GIL, so the jobs'
        own threads go on, and not interruptible: a pending Ctrl-C is raised just after)."""
        with nogil:
            cy_sync_lock(&self.sync)
            self.closed = 1
            while self.active:
                cy_sync_wait(&self.sync)
            cy_sync_unlock(&self.sync)


def join_futures(futures):
    """Wait until every future has finished or been cancelled, even if the wait is interrupted (Ctrl-C, an
    exception raised by a signal handler): the jobs use C memory that the caller frees next. An interruption
    is raised again once nothing runs any more."""
    interrupted = None
    for future in futures:
        while True:
            try:
                if not future.cancel():
                    future.exception()         # waits; the job's own exception is for the caller to fetch
                break
            except BaseException as error:     # the wait was interrupted: wait again
                if interrupted is None:
                    interrupted = error
    if interrupted is not None:
        raise interrupted


cdef int run_bands(EncoderState* st, list bands, int mode, int threads) except -2:
    """Run `bands` in MODE_COUNT or MODE_SPLIT on the calling thread and threads - 1 pool threads (run_shared);
    MODE_SPLIT bands are merged into `st` as they finish, MODE_COUNT counts are added at the end."""
    cdef _Band band
    cdef int t, k
    queue = _BandQueue()
    queue.setup(st, len(bands))
    jobs = []
    for i, (first, end) in enumerate(bands):
        band = _Band.__new__(_Band)
        band.queue = queue
        band.index = i
        band.first_row = first
        band.end_row = end
        band.mode = mode
        band.status = -1
        jobs.append(band)
    run_shared(jobs, threads)
    for band in jobs:
        if band.status != 0:
            st.error = "out of memory for the bands of a threaded encode"
            if band.st != NULL and band.st.error != NULL:
                st.error = band.st.error
            return -1
        if mode == MODE_COUNT:
            for t in range(2):
                for k in range(256):
                    st.dc_freq[t][k] += band.st.dc_freq[t][k]
                    st.ac_freq[t][k] += band.st.ac_freq[t][k]
    if mode == MODE_SPLIT and queue.merge.next != queue.merge.count:
        if st.error == NULL:
            st.error = "a band of the threaded encode was not merged"
        return -1
    return 0


cdef int encode_threaded(EncoderState* st, const uint16_t* qtables, bint optimize, list bands,
                         int threads) except -2:
    """The encode with the MCU rows split into bands coded concurrently (issue 5). Each band codes its rows
    into raw (unstuffed) bits; the merge shifts them into place and stuffs them, so the output equals the
    serial coder's byte for byte and needs no restart markers. optimize=True counts symbols per band and
    adds the counts."""
    cdef int status
    if optimize:
        if run_bands(st, bands, MODE_COUNT, threads) != 0:
            return -1
        with nogil:
            optimal_tables(st)
    with nogil:
        status = start_output(st, qtables)
    if status != 0 or run_bands(st, bands, MODE_SPLIT, threads) != 0:
        return -1
    with nogil:
        status = finish_output(st)
    return status


def run_shared(list jobs, int threads):
    """Run jobs (objects with run()) on the calling thread and threads - 1 workers of the encoder's pool,
    each taking the next job as it finishes one: the caller works instead of waiting, and no job waits
    for a worker to wake up while another sits idle. Every job runs through one JobGate, so however this
    ends, no job runs once it has returned or raised. Used by the threaded encode and decode."""
    pending = iter(jobs)
    gate = JobGate()

    def work():
        for job in pending:        # a list iterator hands each job out once, under the GIL
            if not gate.run(job):
                return

    helpers = []
    try:
        pool = band_pool(threads - 1)
        for _ in range(min(threads, len(jobs)) - 1):
            helpers.append(pool.submit(work))
        work()
        join_futures(helpers)      # every job a helper has taken has run (the gate would skip it after close)
    finally:
        # An error or an interrupted wait: jobs not started are skipped, running ones are waited for.
        gate.close_and_wait()
    for helper in helpers:
        if not helper.cancelled():     # (join_futures cancels a helper that never started: no job left)
            helper.result()            # a helper's exception, if any


def encode_image(pixels, qtables, int h_samp, int v_samp, bint optimize, int restart_interval,
                 const uint8_t[::1] extra_segments=b"", int threads=1):
    """Encode uint8 pixels (H, W) or (H, W, 3) as baseline JFIF bytes.

    qtables: uint16 (2, 64), luma then chroma, natural order, 1..255. h_samp, v_samp: the luma sampling
    factors, (1, 1), (2, 1), (2, 2) or (1, 2); chroma is 1x1; ignored for grayscale. restart_interval:
    MCUs per restart interval, 0 for none. extra_segments: complete marker segments (APPn, COM) written
    after the JFIF APP0 segment, as cyjpeg._metadata builds them. threads: code bands of MCU rows on up to
    this many threads; the bytes do not depend on it. Arguments are expected already checked by cyjpeg._api;
    this checks them again cheaply because a wrong shape here would read out of bounds.
    """
    cdef const uint8_t[:, ::1] gray_view
    cdef const uint8_t[:, :, ::1] rgb_view
    cdef const uint16_t[:, ::1] qtable_view = qtables
    cdef EncoderState* st
    cdef int status, ncomp, height, width
    cdef bint serial
    cdef const uint8_t* pixel_ptr
    if qtable_view.shape[0] != 2 or qtable_view.shape[1] != 64:
        raise ValueError(f"qtables must have shape (2, 64), got {tuple(qtables.shape)}")
    if np.any(np.asarray(qtables) < 1) or np.any(np.asarray(qtables) > 255):
        raise ValueError("qtables entries must be from 1 to 255 (baseline JPEG)")
    if pixels.ndim == 2:
        gray_view = pixels
        ncomp = 1
        h_samp = v_samp = 1
        height, width = gray_view.shape[0], gray_view.shape[1]
        pixel_ptr = &gray_view[0, 0] if height and width else NULL
    elif pixels.ndim == 3 and pixels.shape[2] == 3:
        rgb_view = pixels
        ncomp = 3
        height, width = rgb_view.shape[0], rgb_view.shape[1]
        pixel_ptr = &rgb_view[0, 0, 0] if height and width else NULL
    else:
        raise ValueError(f"pixels must have shape (H, W) or (H, W, 3), got {pixels.shape}")
    if not (1 <= width <= 65535 and 1 <= height <= 65535):
        raise ValueError(f"image must be 1..65535 pixels each way, got {width}x{height}")
    if (h_samp, v_samp) not in ((1, 1), (2, 1), (2, 2), (1, 2)):
        raise ValueError(f"unsupported sampling factors {h_samp}x{v_samp}")
    if not 0 <= restart_interval <= 65535:
        raise ValueError(f"restart_interval must be from 0 to 65535, got {restart_interval}")
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")

    st = <EncoderState*>calloc(1, sizeof(EncoderState))
    if st == NULL:
        raise MemoryError("cannot allocate the encoder state")
    try:
        st.pixels = pixel_ptr
        st.width = width
        st.height = height
        st.ncomp = ncomp
        st.restart_interval = restart_interval
        st.extra_segments_size = extra_segments.shape[0]
        st.extra_segments = &extra_segments[0] if st.extra_segments_size else NULL
        st.writer.free_bits = 64             # an empty bit register
        st.error = NULL
        set_geometry(st, h_samp, v_samp)
        bands = band_rows(st.mcus_y, width, height, threads)
        serial = len(bands) == 1
        with nogil:
            status = allocate_bands(st) if serial else 0
            if status == 0:
                # A first guess of the output size (about 1.5 bits per sample); the buffer doubles as needed.
                status = reserve(&st.writer, <size_t>width * height * ncomp // 5 + HEADER_ROOM)
            if status != 0:
                st.error = "out of memory for the encoder buffers"
            else:
                prepare_tables(st, &qtable_view[0, 0], optimize)
        if status == 0:
            if serial:
                with nogil:
                    status = encode_serial(st, &qtable_view[0, 0], optimize)
            else:
                status = encode_threaded(st, &qtable_view[0, 0], optimize, bands, threads)
        if status != 0:
            message = (<bytes>st.error).decode() if st.error != NULL else "encoding failed"
            if "memory" in message:
                raise MemoryError(message)
            raise RuntimeError(message)  # a bug in cyjpeg, not bad input: the arguments were checked above
        return PyBytes_FromStringAndSize(<char*>st.writer.data, <Py_ssize_t>st.writer.size)
    finally:
        free_state(st)


def _set_simd(enabled):
    """Tests: choose the AVX2 twin of the MCU loop (when the CPU has it) or the portable one. Returns
    whether the AVX2 twin was in use before. Not thread-safe; not part of the public API."""
    global use_avx2
    previous = bool(use_avx2)
    use_avx2 = 1 if (enabled and cy_cpu_has_avx2()) else 0
    return previous


def _has_avx2_twin():
    """Tests: whether this CPU and build can run the AVX2 twin at all."""
    return bool(cy_cpu_has_avx2())


# ---- Kernel access for tests (tests/test_kernels_encoder.py); not part of the public API. ----

def _forward_dct(samples, portable=False):
    """islow forward DCT of an 8x8 uint8 block: int16 (8, 8), natural order, scaled by 8 like libjpeg's;
    portable=True goes through the portable loops instead of the SSE2 passes (tests compare the two)."""
    cdef const uint8_t[:, ::1] block = np.ascontiguousarray(samples, dtype=np.uint8)
    if block.shape[0] != 8 or block.shape[1] != 8:
        raise ValueError("samples must be 8x8")
    cdef int16_t work[128]
    result = np.empty((8, 8), dtype=np.int16)
    cdef int16_t[:, ::1] out = result
    if portable:
        fdct_islow_lanes(&block[0, 0], 8, work, &out[0, 0])
    else:
        fdct_islow(&block[0, 0], 8, work, &out[0, 0])
    return result


def _quantize(coefs, qtable, portable=False):
    """Quantize int16 (8, 8) DCT output with a natural-order table: (int16 zigzag[64], nonzero bitmap).
    portable: through the plain loops rather than the SSE2 version (tests compare the two)."""
    cdef const int16_t[:, ::1] coef_view = np.ascontiguousarray(coefs, dtype=np.int16)
    cdef int k
    cdef const uint16_t[::1] table = np.ascontiguousarray(qtable, dtype=np.uint16).reshape(-1)
    cdef Divisors div
    natural = np.empty(64, dtype=np.int16)
    cdef int16_t[::1] natural_view = natural
    make_divisors(&table[0], &div)
    if portable:
        mask = quantize_block_portable(&coef_view[0, 0], &div, ZIGZAG_MASK_TABLE, &natural_view[0])
    else:
        mask = quantize_block(&coef_view[0, 0], &div, ZIGZAG_MASK_TABLE, &natural_view[0])
    return natural[[ZIGZAG_TO_NATURAL[k] for k in range(64)]], mask


def _optimal_table(counts):
    """BITS (16 counts) and HUFFVAL of the optimal table for 256 symbol counts (T.81 K.2 as libjpeg)."""
    cdef const int64_t[::1] count_view = np.ascontiguousarray(counts, dtype=np.int64)
    cdef HuffSpec spec
    if count_view.shape[0] != 256:
        raise ValueError("counts must have 256 entries")
    optimal_spec(&count_view[0], &spec)
    return [spec.bits[i] for i in range(16)], [spec.values[i] for i in range(spec.count)]
