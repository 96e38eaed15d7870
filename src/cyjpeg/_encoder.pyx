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
    rgb_row_to_ycc, gray_row, downsample_h2v1, downsample_h2v2, downsample_h1v2,
)
from cyjpeg._fdct cimport fdct_islow
from cyjpeg._quant cimport Divisors, make_divisors, quantize_block, make_zigzag_mask_table
from cyjpeg._bitwriter cimport BitWriter, reserve, put_bytes, put_byte, put_u16, flush_bits
from cyjpeg._huffenc cimport (
    HuffCodes, HuffSpec, make_codes, load_spec, encode_block, count_block, optimal_spec,
)

import numpy as np

# Zigzag positions of each row's nonzero pattern (see _quant.make_zigzag_mask_table); filled at import.
cdef uint64_t ZIGZAG_MASK_TABLE[8 * 256]
make_zigzag_mask_table(ZIGZAG_MASK_TABLE)

cdef enum:
    BLOCK_ROOM = 512     # worst case bytes for one block: 27 + 63 * 26 bits, doubled for 0xFF stuffing
    HEADER_ROOM = 2048   # more than all marker segments before SOS together

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
    const char* error


cdef inline int imin(int a, int b) noexcept nogil:
    return a if a < b else b


cdef void fill_band(EncoderState* st, int mcu_row) noexcept nogil:
    """Colour-convert and down-sample the rows of MCU row `mcu_row` into the component bands.

    Bottom-edge padding follows libjpeg: full-resolution rows past the image repeat the last row; a
    down-sampled chroma row that would start below the image repeats the last down-sampled row (which, for
    4:2:0 with an even height, is the average of the last two rows rather than the last row alone).
    """
    cdef Component* luma = &st.comp[0]
    cdef Component* cb = &st.comp[1]
    cdef Component* cr = &st.comp[2]
    cdef int first_row = mcu_row * 8 * st.v_max
    cdef int t, src_row, sub_row, chroma_row, last_chroma_row
    cdef int chroma_width = cb.band_stride
    cdef const uint8_t* src
    if st.ncomp == 1:
        for t in range(8):
            src_row = imin(first_row + t, st.height - 1)
            gray_row(st.pixels + <size_t>src_row * st.width, st.width, luma.band_stride,
                     luma.band + t * luma.band_stride)
        return
    last_chroma_row = (st.height - 1) // st.v_max
    for t in range(8 * st.v_max):
        src_row = imin(first_row + t, st.height - 1)
        src = st.pixels + <size_t>src_row * st.width * 3
        if st.h_max == 1 and st.v_max == 1:
            rgb_row_to_ycc(src, st.width, luma.band_stride, luma.band + t * luma.band_stride,
                           cb.band + t * chroma_width, cr.band + t * chroma_width)
            continue
        sub_row = t % st.v_max
        rgb_row_to_ycc(src, st.width, luma.band_stride, luma.band + t * luma.band_stride,
                       st.full_cb + sub_row * luma.band_stride, st.full_cr + sub_row * luma.band_stride)
        if sub_row != st.v_max - 1:
            continue
        chroma_row = t // st.v_max
        if mcu_row * 8 + chroma_row > last_chroma_row:
            # Below the image: repeat the last down-sampled row (it is earlier in this same band).
            memcpy(cb.band + chroma_row * chroma_width, cb.band + (chroma_row - 1) * chroma_width, chroma_width)
            memcpy(cr.band + chroma_row * chroma_width, cr.band + (chroma_row - 1) * chroma_width, chroma_width)
        elif st.v_max == 1:
            downsample_h2v1(st.full_cb, chroma_width, cb.band + chroma_row * chroma_width)
            downsample_h2v1(st.full_cr, chroma_width, cr.band + chroma_row * chroma_width)
        elif st.h_max == 2:
            downsample_h2v2(st.full_cb, st.full_cb + luma.band_stride, chroma_width,
                            cb.band + chroma_row * chroma_width)
            downsample_h2v2(st.full_cr, st.full_cr + luma.band_stride, chroma_width,
                            cr.band + chroma_row * chroma_width)
        else:
            downsample_h1v2(st.full_cb, st.full_cb + luma.band_stride, chroma_width,
                            cb.band + chroma_row * chroma_width)
            downsample_h1v2(st.full_cr, st.full_cr + luma.band_stride, chroma_width,
                            cr.band + chroma_row * chroma_width)


cdef int run_scan(EncoderState* st, bint gather) noexcept nogil:
    """One pass over the image in MCU order: count symbols (gather) or write the entropy-coded data.

    Returns 0, or -1 with st.error set.
    """
    cdef int32_t dc_pred[3]
    cdef int16_t dct_work[128]
    cdef int16_t coefs[64]
    cdef int16_t quantized[64]
    cdef uint64_t nonzero_mask
    cdef int mcu_x, mcu_y, c, bx, by, block_col, block_row, table
    cdef int blocks_per_mcu = 0
    cdef int restart_number = 0
    cdef int64_t mcus_done = 0
    cdef int16_t previous_dc = 0
    cdef Component* comp
    for c in range(st.ncomp):
        blocks_per_mcu += st.comp[c].h_samp * st.comp[c].v_samp
        dc_pred[c] = 0
    for mcu_y in range(st.mcus_y):
        fill_band(st, mcu_y)
        for mcu_x in range(st.mcus_x):
            if st.restart_interval and mcus_done and mcus_done % st.restart_interval == 0:
                # T.81 F.1.2.3 and B.2.1: byte-align with 1-bits, write RSTn (n counts modulo 8), and
                # restart DC prediction (T.81 F.1.1.5.1).
                if not gather:
                    if reserve(&st.writer, 32) != 0:
                        st.error = "out of memory for the output buffer"
                        return -1
                    flush_bits(&st.writer)
                    put_byte(&st.writer, 0xFF)
                    put_byte(&st.writer, <uint8_t>(0xD0 + restart_number))
                restart_number = (restart_number + 1) & 7
                for c in range(st.ncomp):
                    dc_pred[c] = 0
            if not gather and reserve(&st.writer, blocks_per_mcu * BLOCK_ROOM) != 0:
                st.error = "out of memory for the output buffer"
                return -1
            # T.81 A.2.3: an MCU holds h x v blocks of each component in turn, row by row.
            for c in range(st.ncomp):
                comp = &st.comp[c]
                table = comp.table
                for by in range(comp.v_samp):
                    block_row = mcu_y * comp.v_samp + by
                    for bx in range(comp.h_samp):
                        block_col = mcu_x * comp.h_samp + bx
                        if block_col < comp.width_blocks and block_row < comp.height_blocks:
                            fdct_islow(comp.band + by * 8 * comp.band_stride + block_col * 8,
                                       comp.band_stride, dct_work, coefs)
                            nonzero_mask = quantize_block(coefs, &st.divisors[table], ZIGZAG_MASK_TABLE,
                                                          quantized)
                        else:
                            # A dummy block that only pads the MCU: no AC, and the DC of the block before
                            # it in the MCU, so its DC difference is 0 (libjpeg does the same).
                            quantized[0] = previous_dc
                            nonzero_mask = 1 if previous_dc != 0 else 0
                        previous_dc = quantized[0]
                        if gather:
                            count_block(quantized, nonzero_mask, &dc_pred[c], st.dc_freq[table], st.ac_freq[table])
                        else:
                            encode_block(&st.writer, quantized, nonzero_mask, &dc_pred[c],
                                         &st.dc_codes[table], &st.ac_codes[table])
            mcus_done += 1
    return 0


cdef void write_headers(EncoderState* st, const uint16_t* qtables) noexcept nogil:
    """SOI, APP0 (JFIF), DQT, SOF0, DHT, DRI: each segment as libjpeg writes it, so sizes match Pillow's."""
    cdef BitWriter* w = &st.writer
    cdef int t, k, c, ntables = 1 if st.ncomp == 1 else 2
    cdef const uint8_t* jfif = b"JFIF\0"
    cdef HuffSpec* spec
    put_u16(w, 0xFFD8)                      # SOI
    # APP0 JFIF 1.01: density 1:1 with no unit, no thumbnail (what Pillow writes by default).
    put_u16(w, 0xFFE0)
    put_u16(w, 16)
    put_bytes(w, jfif, 5)
    put_byte(w, 1)
    put_byte(w, 1)
    put_byte(w, 0)
    put_u16(w, 1)
    put_u16(w, 1)
    put_byte(w, 0)
    put_byte(w, 0)
    # Metadata segments (EXIF APP1, ICC APP2 chunks, COM) arrive fully formed from cyjpeg._metadata.
    put_bytes(w, st.extra_segments, st.extra_segments_size)
    # DQT (T.81 B.2.4.1): one segment per table, 8-bit entries in zigzag order.
    for t in range(ntables):
        put_u16(w, 0xFFDB)
        put_u16(w, 2 + 1 + 64)
        put_byte(w, <uint8_t>t)
        for k in range(64):
            put_byte(w, <uint8_t>qtables[t * 64 + ZIGZAG_TO_NATURAL[k]])
    # SOF0 (T.81 B.2.2): baseline, 8-bit; components 1, 2, 3 = Y, Cb, Cr as JFIF names them.
    put_u16(w, 0xFFC0)
    put_u16(w, 8 + 3 * st.ncomp)
    put_byte(w, 8)
    put_u16(w, <uint32_t>st.height)
    put_u16(w, <uint32_t>st.width)
    put_byte(w, <uint8_t>st.ncomp)
    for c in range(st.ncomp):
        put_byte(w, <uint8_t>(c + 1))
        put_byte(w, <uint8_t>((st.comp[c].h_samp << 4) | st.comp[c].v_samp))
        put_byte(w, <uint8_t>st.comp[c].table)
    # DHT (T.81 B.2.4.2): one segment per table, DC then AC of the luma tables, then the chroma ones.
    for t in range(ntables):
        for k in range(2):
            spec = &st.dc_spec[t] if k == 0 else &st.ac_spec[t]
            put_u16(w, 0xFFC4)
            put_u16(w, <uint32_t>(2 + 1 + 16 + spec.count))
            put_byte(w, <uint8_t>((k << 4) | t))
            put_bytes(w, spec.bits, 16)
            put_bytes(w, spec.values, spec.count)
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


cdef int encode_all(EncoderState* st, const uint16_t* qtables, bint optimize) noexcept nogil:
    cdef int t
    cdef int ntables = 1 if st.ncomp == 1 else 2
    for t in range(ntables):
        make_divisors(qtables + 64 * t, &st.divisors[t])
    if optimize:
        # Two passes over the band pipeline instead of storing every quantized block: recomputing costs time
        # but keeps memory at the input + output + one MCU row (issue 5), and optimize is not the hot path.
        memset(st.dc_freq, 0, sizeof(st.dc_freq))
        memset(st.ac_freq, 0, sizeof(st.ac_freq))
        if run_scan(st, True) != 0:
            return -1
        for t in range(ntables):
            optimal_spec(st.dc_freq[t], &st.dc_spec[t])
            optimal_spec(st.ac_freq[t], &st.ac_spec[t])
    else:
        # T.81 Annex K.3, Tables K.3 to K.6: the typical tables that libjpeg uses by default.
        load_spec(STD_DC_LUMA_BITS, STD_DC_LUMA_VALS, &st.dc_spec[0])
        load_spec(STD_AC_LUMA_BITS, STD_AC_LUMA_VALS, &st.ac_spec[0])
        load_spec(STD_DC_CHROMA_BITS, STD_DC_CHROMA_VALS, &st.dc_spec[1])
        load_spec(STD_AC_CHROMA_BITS, STD_AC_CHROMA_VALS, &st.ac_spec[1])
    for t in range(ntables):
        if make_codes(&st.dc_spec[t], &st.dc_codes[t]) != 0 or make_codes(&st.ac_spec[t], &st.ac_codes[t]) != 0:
            st.error = "internal error: invalid Huffman table"
            return -1
    if reserve(&st.writer, HEADER_ROOM + st.extra_segments_size) != 0:
        st.error = "out of memory for the output buffer"
        return -1
    write_headers(st, qtables)
    if run_scan(st, False) != 0:
        return -1
    if reserve(&st.writer, 32) != 0:
        st.error = "out of memory for the output buffer"
        return -1
    flush_bits(&st.writer)
    put_u16(&st.writer, 0xFFD9)             # EOI
    return 0


cdef int setup_components(EncoderState* st, int h_samp, int v_samp) noexcept nogil:
    """Fill in the component geometry (T.81 A.1.1) and allocate the band buffers."""
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
        comp.band = <uint8_t*>malloc(<size_t>comp.band_stride * 8 * comp.v_samp)
        if comp.band == NULL:
            return -1
    if st.ncomp == 3 and (h_samp != 1 or v_samp != 1):
        st.full_cb = <uint8_t*>malloc(<size_t>st.comp[0].band_stride * 2)
        st.full_cr = <uint8_t*>malloc(<size_t>st.comp[0].band_stride * 2)
        if st.full_cb == NULL or st.full_cr == NULL:
            return -1
    return 0


cdef void free_state(EncoderState* st) noexcept nogil:
    cdef int c
    if st == NULL:
        return
    for c in range(3):
        free(st.comp[c].band)
    free(st.full_cb)
    free(st.full_cr)
    free(st.writer.data)
    free(st)


def encode_image(pixels, qtables, int h_samp, int v_samp, bint optimize, int restart_interval,
                 const uint8_t[::1] extra_segments=b""):
    """Encode uint8 pixels (H, W) or (H, W, 3) as baseline JFIF bytes.

    qtables: uint16 (2, 64), luma then chroma, natural order, 1..255. h_samp, v_samp: the luma sampling
    factors, (1, 1), (2, 1), (2, 2) or (1, 2); chroma is 1x1; ignored for grayscale. restart_interval:
    MCUs per restart interval, 0 for none. extra_segments: complete marker segments (APPn, COM) written
    after the JFIF APP0 segment, as cyjpeg._metadata builds them. Arguments are expected already checked by cyjpeg._api; this
    checks them again cheaply because a wrong shape here would read out of bounds.
    """
    cdef const uint8_t[:, ::1] gray_view
    cdef const uint8_t[:, :, ::1] rgb_view
    cdef const uint16_t[:, ::1] qtable_view = qtables
    cdef EncoderState* st
    cdef int status, ncomp, height, width
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
        with nogil:
            status = setup_components(st, h_samp, v_samp)
            if status == 0:
                # A first guess of the output size (about 1.5 bits per sample); the buffer doubles as needed.
                status = reserve(&st.writer, <size_t>width * height * ncomp // 5 + HEADER_ROOM)
            if status == 0:
                status = encode_all(st, &qtable_view[0, 0], optimize)
            elif st.error == NULL:
                st.error = "out of memory for the encoder buffers"
        if status != 0:
            message = (<bytes>st.error).decode() if st.error != NULL else "encoding failed"
            if "memory" in message:
                raise MemoryError(message)
            raise RuntimeError(message)  # a bug in cyjpeg, not bad input: the arguments were checked above
        return PyBytes_FromStringAndSize(<char*>st.writer.data, <Py_ssize_t>st.writer.size)
    finally:
        free_state(st)


# ---- Kernel access for tests (tests/test_kernels_encoder.py); not part of the public API. ----

def _forward_dct(samples):
    """islow forward DCT of an 8x8 uint8 block: int16 (8, 8), natural order, scaled by 8 like libjpeg's."""
    cdef const uint8_t[:, ::1] block = np.ascontiguousarray(samples, dtype=np.uint8)
    if block.shape[0] != 8 or block.shape[1] != 8:
        raise ValueError("samples must be 8x8")
    cdef int16_t work[128]
    result = np.empty((8, 8), dtype=np.int16)
    cdef int16_t[:, ::1] out = result
    fdct_islow(&block[0, 0], 8, work, &out[0, 0])
    return result


def _quantize(coefs, qtable):
    """Quantize int16 (8, 8) DCT output with a natural-order table: (int16 zigzag[64], nonzero bitmap)."""
    cdef const int16_t[:, ::1] coef_view = np.ascontiguousarray(coefs, dtype=np.int16)
    cdef int k
    cdef const uint16_t[::1] table = np.ascontiguousarray(qtable, dtype=np.uint16).reshape(-1)
    cdef Divisors div
    natural = np.empty(64, dtype=np.int16)
    cdef int16_t[::1] natural_view = natural
    make_divisors(&table[0], &div)
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
