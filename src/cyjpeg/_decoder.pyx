# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The JPEG decoder: marker parsing into plain frame/scan structs, and the scan loops.

Owns: reading the marker segments (T.81 B.2 and B.3: SOF, DHT, DQT, DRI, SOS, APPn, COM, EOI) into a
per-call DecoderState; the sequential scan loop (T.81 F.2: MCUs, restart intervals, interleaved and
non-interleaved scans) that feeds each block through the Huffman decoder and the inverse DCT into one
sample plane per component; the progressive scan loop (T.81 G.1.2) that fills a quantized coefficient
buffer per component, inverse-transformed into the same planes after the last scan (scans whose coefficients
cannot show in a 1/8 or Y-plane output are passed over unread: scan_cannot_show); scaled output (the
reduced IDCTs pick 8, 4, 2 or 1 samples per block side, per component as libjpeg-turbo chooses them); the
concealment of damaged data as libjpeg conceals it (strict=None/False: a bad code, a marker inside the scan
data, lost restart markers, an EOB run too long, a component without a scan, a DC out of range; strict=False
also data that runs out, the rest grey), with progressive block smoothing (_smooth.pxd) when the low
coefficients are incomplete; and the hand-off of finished rows to upsampling and colour conversion
(YCbCr/RGB to RGB, CMYK/YCCK to Adobe-inverted CMYK as Pillow gives it).
The kernels it drives live in .pxd files and are inlined here: _bitreader (bytes -> bits), _huffdec
(bits -> coefficients), _idct (coefficients -> samples), _upsample (samples -> RGB rows). Two included files
hold the other coding processes' scan loops, sharing the planes, IDCT and row output: _decoder_arith.pxi
(arithmetic-coded SOF9/SOF10, T.81 Annex D/F.2.4/G.1.3, kernel _arithdec; DAC is parsed here) and
_decoder_lossless.pxi (lossless SOF3, T.81 Annex H, kernel _lossless).

Errors: header parsing runs with the GIL and raises JpegError at once; the scan loop runs without the GIL,
returns a status and leaves the reason in DecoderState.message, and decode_image raises it once. Damage that
is concealed instead (must_raise) keeps its message as DecoderState.warning, which decode_image hands back.
Not supported (UnsupportedJpegError): hierarchical frames, lossless arithmetic-coded frames (SOF11), samples
of other than 8 bits (12-bit DCT, 2..7 and 9..16-bit lossless), scaled decoding of lossless frames,
lossless restart intervals that are not whole MCU rows, 2-component frames, DNL.
"""
from libc.stdint cimport uint8_t, int16_t, uint16_t, int32_t, uint64_t
from libc.stdlib cimport calloc, malloc, free
from libc.string cimport memset, memcpy, memcmp, memchr
from libc.stdio cimport snprintf

import re

import numpy as np

from cyjpeg._encoder import run_shared     # the pool and JobGate that threaded encodes use too

from cyjpeg._bitreader cimport (BitReader, br_byte_position, br_init, br_find_marker, br_overrun, br_reset_bits)
from cyjpeg._huffdec cimport (HuffTable, huff_build, huff_build_fast_seq, huff_decode_block, HUFF_OK, HUFF_BAD_CODE,
                              HUFF_TABLE_OVERFULL, HUFF_DC_RANGE, prog_dc_first, prog_dc_refine,
                              prog_ac_first, prog_ac_refine)
from cyjpeg._arithdec cimport (ArithConditioning, ArithStats, ArithDecoder, arith_conditioning_init,
                               arith_start, arith_decode_block, arith_dc_first, arith_dc_refine, arith_decode_ac,
                               arith_ac_refine, ARITH_DC_BINS, ARITH_AC_BINS, ARITH_MAGNITUDE)
from cyjpeg._lossless cimport lossless_diff, lossless_predict, LOSSLESS_BAD_CATEGORY
from cyjpeg._dcskip cimport DcScan, dc_scan_mcu, skip_table_build, SKIP_SIZE, dc_skip_block
from cyjpeg._idct cimport (idct_scaled, idct_1x1, idct_2x2, idct_2x2_low, idct_2x2_dc_sample, idct_2x2_scalar,
                           fill_2x2, idct_4x4_scalar, idct_4x4_dc_only, idct_islow_scalar, cy_idct_islow_sse2,
                           cy_idct_4x4_sse2, cy_idct_2x2_sse2, cy_idct_islow_avx2_pair, cy_clear_block)
from cyjpeg._smooth cimport smooth_block
from cyjpeg._upsample cimport (upsample_h2v1_fancy, upsample_h2v2_fancy, upsample_h1v2_fancy,
                               upsample_replicate, ycc_to_rgb_row, ycc_to_rgb_row_dispatch, interleave_row, ycck_to_inverted_cmyk_row,
                               interleave_inverted_row, ColourTables, colour_tables_init)
from cyjpeg._tables cimport (ZIGZAG_TO_NATURAL, STD_DC_LUMA_BITS, STD_DC_LUMA_VALS, STD_DC_CHROMA_BITS,
                             STD_DC_CHROMA_VALS, STD_AC_LUMA_BITS, STD_AC_LUMA_VALS, STD_AC_CHROMA_BITS,
                             STD_AC_CHROMA_VALS, QM_FIXED_STATE)

from cyjpeg.errors import JpegError, UnsupportedJpegError

cdef ColourTables COLOUR_TABLES

# 1/8 scale: the skip tables (_dcskip.pxd) of the two AC tables of T.81 Annex K.3, which Pillow, libjpeg and
# most cameras write. Built once, on first use with the GIL held, and then only read: a file that uses these
# tables does not pay for building its own.
cdef HuffTable STD_AC_FOR_SKIP[2]
cdef uint16_t STD_AC_SKIP[2][SKIP_SIZE]
cdef bint std_ac_skip_ready = 0

# Built Huffman tables of recent files, keyed by their DHT bytes. A webshop's photos share a few table sets
# (Annex K's, each camera model's, each encoder's). Building a file's four (lookahead, fast_ac, fast_seq:
# 9 KB each) took 10 us, two thirds of decoding a small file; copying them costs almost nothing. What is
# built later for a table (fast_seq, prepare_fast_seq; an AC table's 1/8-scale skip table) is stored back
# into its slot. Read and written with the GIL held only (marker parsing, prepare_scan), and always copied
# out, so a decode in progress never reads a slot being replaced.
cdef enum:
    TABLE_CACHE_SLOTS = 8

ctypedef struct CachedTable:
    int key_length                   # 0: empty; else 17 + symbols: the class, then the DHT's counts and symbols
    uint8_t key[17 + 256]
    unsigned long generation         # bumped when the slot is given to another table
    HuffTable table
    int skip_ready
    uint16_t skip[SKIP_SIZE]

cdef CachedTable TABLE_CACHE[TABLE_CACHE_SLOTS]
cdef int table_cache_next = 0        # the slot to replace next (round robin)

cdef extern from "_dispatch.h":
    # Return types that carry the twin attributes (see _dispatch.h).
    ctypedef void avx2_void "CY_AVX2_VOID"
    ctypedef void portable_void "CY_PORTABLE_VOID"
    int cy_cpu_has_avx2() noexcept nogil

# Which twin of the scan loop and the row conversion runs (_dispatch.h); CYJPEG_NO_SIMD=1 in the environment
# or _set_simd(False) forces the portable one.
cdef int use_avx2 = cy_cpu_has_avx2() and not __import__("os").environ.get("CYJPEG_NO_SIMD")
colour_tables_init(&COLOUR_TABLES)

# Default pixel limit, checked before anything is allocated: twice Pillow's Image.MAX_IMAGE_PIXELS
# (89478485, about 0.25 GiB of 24-bit pixels / 3), which is where Pillow raises DecompressionBombError.
MAX_PIXELS = 2 * 89478485
# Scans per image. Each scan walks every block of its components, so a file of many tiny scans costs time in
# proportion to scans x pixels; real progressive files have about 10 (libjpeg's scripts) and never near this.
MAX_SCANS = 1000

cdef enum:
    MAX_COMPONENTS = 4
    MESSAGE_SIZE = 320
    STATUS_OK = 0
    STATUS_CORRUPT = 1
    STATUS_NO_MEMORY = 3
    STATUS_READ_SCAN = 4           # pass_over_scan: the data ran out inside the scan; decode it after all
    STATUS_READ_ALL = 5            # a DC-alone buffer met an AC scan to read: decode again, reading every scan

# How a component's plane becomes full-resolution rows (chosen as libjpeg-turbo's jinit_upsampler does).
cdef enum:
    UPSAMPLE_NONE = 0
    UPSAMPLE_H2V1_FANCY = 1
    UPSAMPLE_H2V2_FANCY = 2
    UPSAMPLE_H1V2_FANCY = 3
    UPSAMPLE_REPLICATE = 4

# The blocks of one MCU are all Huffman-decoded before any is inverse-transformed: the transform's 16-byte
# loads of a block just written coefficient by coefficient would wait for those stores to drain (a failed
# store-to-load forward); a few blocks later they have. T.81 B.2.3: an interleaved MCU has at most 10 blocks.
cdef enum:
    MCU_BLOCKS = 10

# Marker codes (the byte after 0xFF), T.81 Table B.1.
cdef enum:
    M_SOF0 = 0xC0
    M_DHT = 0xC4
    M_DAC = 0xCC
    M_RST0 = 0xD0
    M_RST7 = 0xD7
    M_SOI = 0xD8
    M_EOI = 0xD9
    M_SOS = 0xDA
    M_DQT = 0xDB
    M_DNL = 0xDC
    M_DRI = 0xDD
    M_APP0 = 0xE0
    M_APP1 = 0xE1
    M_APP2 = 0xE2
    M_APP14 = 0xEE
    M_COM = 0xFE
    M_TEM = 0x01
    END_OF_DATA = 0x100            # parse_segments: the data ended before EOI


ctypedef struct Component:
    int id
    int h, v                 # sampling factors (T.81 A.1.1)
    int quant_id
    int dc_table, ac_table   # table selectors of the scan being decoded
    int dc_pred
    int sample_w, sample_h   # samples that hold image data: ceil(X * h / hmax), ceil(Y * v / vmax) (A.1.1)
    int blocks_w, blocks_h   # blocks a non-interleaved scan codes: ceil(sample_w / 8), ceil(sample_h / 8)
    Py_ssize_t stride        # plane row length: every block of every MCU, mcus_x * h * 8
    int plane_rows           # rows allocated: mcus_y * v * block_size, or a ring of 3 MCU rows (see setup_frame)
    uint8_t* plane
    int scanned              # a scan has delivered this component
    int h_ratio, v_ratio     # upsampling factors to the output: hmax / h, vmax / v unscaled (integral)
    int upsample
    uint8_t* row_buffer      # one full-width upsampled row
    int block_size           # output samples per block side: 8, or 4/2/1 when decoding scaled
    int16_t* coef            # progressive: quantized coefficients, coef_blocks_w x coef_blocks_h blocks of 64
    int coef_blocks_w, coef_blocks_h
    int coef_stride          # coefficients kept per block: 64, or 1 (the DC alone) when every AC scan of the
                             # component is passed over (DecoderState.pass_over_scans and block_size 1)
    uint64_t* nonzero        # Huffman progressive: per block, its nonzero AC coefficients by zigzag position (bit k)
    int quant_latched        # qtable holds the table in force at the component's first scan (as libjpeg)
    uint16_t qtable[64]


ctypedef struct Frame:
    int sof                  # SOFn marker code
    int precision
    int width, height, ncomp
    int hmax, vmax
    int mcus_x, mcus_y       # MCUs of an interleaved scan (T.81 A.2.4)
    int progressive          # SOF2, SOF10
    int arithmetic           # SOF9, SOF10: arithmetic-coded scans (_decoder_arith.pxi)
    int lossless             # SOF3: predictive lossless scans (_decoder_lossless.pxi)
    int out_w, out_h         # output size: ceil(width / scale) x ceil(height / scale)
    int scale_bs             # 8 / scale: the smallest block size of any component
    Component comp[MAX_COMPONENTS]


ctypedef struct Scan:
    int ncomp
    int comp_index[MAX_COMPONENTS]   # frame component of each scan component, in scan order
    int ss, se, ah, al
    size_t at                        # byte offset of the SOS marker, for messages


ctypedef struct DecoderState:
    Frame frame
    int have_frame
    HuffTable dc_tables[4]
    HuffTable ac_tables[4]
    uint16_t quant[4][64]            # natural order
    int quant_defined[4]
    int restart_interval
    ArithConditioning arith_conditioning   # DAC (T.81 B.2.4.3), defaults until one is read
    int transform                    # 3 components: 1 YCbCr -> RGB, 0 already R, G, B; 4: 1 YCCK, 0 CMYK
    int strict                       # 1: any damage is an error; 0: damage libjpeg conceals is concealed alike
    int accept_truncated             # 1 (strict=False): data that runs out is concealed too (rest grey)
    int dead                         # concealing: the data ran out or broke; later blocks of the scan stay grey
    int eob_run                      # progressive AC scans: blocks left in the current EOB run
    signed char coef_bits[MAX_COMPONENTS][64]   # progressive: Al of the last scan of each coefficient, -1 none
    # Block smoothing (output_progressive) as libjpeg keeps its state: coef_bits 0..9 of each component as they
    # were when that component's latest scan began, the scan count, and the last MCU row that a scan reached
    # with its data intact (rows below it are smoothed by the earlier state).
    signed char prev_coef_bits[MAX_COMPONENTS][10]
    int scan_number
    int last_good_mcu_row
    uint16_t* colsum                 # scratch for 2-D upsampling
    uint8_t* out                     # (height, width, ncomp_out) output pixels
    Py_ssize_t out_stride
    int rows_done                    # output rows already converted
    int luma_only                    # output the Y plane alone (YCbCr frames, decode_image(luma=True))
    int pass_over_scans              # progressive: scans whose coefficients cannot show are not read (decode_image)
    uint16_t* ac_skip                # 1/8 scale: the skip tables of AC tables 0..3 (_dcskip.pxd), or NULL
    int table_slot[2][4]             # 1 + the TABLE_CACHE slot of each [class][id] (0: none), and its generation
    unsigned long table_generation[2][4]
    char message[MESSAGE_SIZE]
    int warned                       # concealing: `warning` holds the first damage concealed
    char warning[MESSAGE_SIZE]


# ----------------------------------------------------------------------------------------------------------
# Marker parsing (with the GIL; raises JpegError directly)

cdef inline int read_u16(const uint8_t* data, size_t pos) noexcept nogil:
    return (data[pos] << 8) | data[pos + 1]


cdef size_t find_marker(const uint8_t* data, size_t size, size_t pos, int* marker) except? 0:
    # T.81 B.1.1.2: a marker is 0xFF, any number of 0xFF fill bytes, then a code that is not 0 or 0xFF.
    # Bytes that are not a marker are skipped (libjpeg does so with a warning). Returns the offset of the code
    # byte, or 0 with marker = -1 when the data ends first.
    while pos + 1 < size:
        if data[pos] == 0xFF and data[pos + 1] != 0xFF and data[pos + 1] != 0x00:
            marker[0] = data[pos + 1]
            return pos + 1
        pos += 1
    marker[0] = -1
    return 0


cdef int parse_segments(DecoderState* st, const uint8_t* data, size_t size, size_t* pos_io, dict meta,
                        Scan* scan) except -1:
    # Read marker segments from pos until SOS (returns M_SOS with the scan header parsed into `scan` and pos at
    # the first byte of entropy-coded data) or EOI / end of data (returns M_EOI / END_OF_DATA).
    cdef size_t pos = pos_io[0], code_pos, seg, length
    cdef int marker
    while True:
        code_pos = find_marker(data, size, pos, &marker)
        if marker < 0:
            pos_io[0] = size
            return END_OF_DATA
        seg = code_pos + 1                   # first byte after the marker code
        if marker == M_EOI:
            pos_io[0] = seg
            return M_EOI
        if marker == M_SOI:
            raise JpegError(f"invalid JPEG: a second SOI marker at byte {code_pos - 1}")
        if (M_RST0 <= marker <= M_RST7) or marker == M_TEM:
            pos = seg                         # markers without a segment; stray RSTn are ignored as libjpeg does
            continue
        if seg + 2 > size:
            raise JpegError(f"JPEG data is truncated: marker 0xFF{marker:02X} at byte {code_pos - 1} has no length")
        length = read_u16(data, seg)
        if length < 2:
            raise JpegError(f"invalid JPEG: marker 0xFF{marker:02X} at byte {code_pos - 1} has length {length} (minimum 2)")
        if seg + length > size:
            raise JpegError(f"JPEG data is truncated: segment 0xFF{marker:02X} at byte {code_pos - 1} declares "
                            f"{length} bytes but only {size - seg} remain")
        if (0xC0 <= marker <= 0xCF) and marker not in (M_DHT, M_DAC, 0xC8):
            parse_sof(st, data, seg, length, marker, meta)
            if meta is not None:
                meta["sof"] = marker
        elif marker == M_DHT:
            parse_dht(st, data, seg, length)
        elif marker == M_DQT:
            parse_dqt(st, data, seg, length)
        elif marker == M_DAC:
            parse_dac(st, data, seg, length)
        elif marker == M_DRI:
            if length != 4:
                raise JpegError(f"invalid JPEG: DRI segment at byte {code_pos - 1} has length {length}, expected 4")
            st.restart_interval = read_u16(data, seg + 2)
        elif marker == M_SOS:
            parse_sos(st, data, seg, length, scan)
            pos_io[0] = seg + length
            return M_SOS
        elif marker == M_DNL:
            raise UnsupportedJpegError(f"a DNL marker (image height defined after the scan, at byte {code_pos - 1}) "
                                       "is not supported")
        elif M_APP0 <= marker <= 0xEF or marker == M_COM:
            parse_app(data, seg + 2, seg + length, marker, meta)
        # Anything else with a length (JPGn, EXP, DHP) is skipped.
        pos = seg + length


cdef int parse_sof(DecoderState* st, const uint8_t* data, size_t seg, size_t length, int marker,
                   dict meta) except -1:
    # T.81 B.2.2 frame header: P, Y, X, Nf, then (C, H|V, Tq) per component.
    cdef Frame* frame = &st.frame
    cdef int i, ncomp, h, v, tq, ident, j
    cdef size_t at = seg - 2
    if st.have_frame:
        raise JpegError(f"invalid JPEG: a second frame header (SOF) at byte {at}")
    if length < 8:
        raise JpegError(f"invalid JPEG: SOF segment at byte {at} is {length} bytes long, too short for a frame header")
    ncomp = data[seg + 7]
    if length != 8 + 3 * ncomp:
        raise JpegError(f"invalid JPEG: SOF segment at byte {at} has length {length} but {ncomp} components need "
                        f"{8 + 3 * ncomp}")
    if ncomp == 0:
        raise JpegError(f"invalid JPEG: SOF at byte {at} declares 0 components")
    if ncomp > MAX_COMPONENTS:
        raise UnsupportedJpegError(f"JPEG frames with {ncomp} components are not supported")
    frame.sof = marker
    frame.precision = data[seg + 2]
    frame.height = read_u16(data, seg + 3)
    frame.width = read_u16(data, seg + 5)
    frame.ncomp = ncomp
    if frame.width == 0 or frame.height == 0:
        raise JpegError(f"invalid JPEG: SOF at byte {at} declares a {frame.width}x{frame.height} image "
                        "(zero size; a height set later by DNL is not supported)")
    frame.hmax = 1
    frame.vmax = 1
    for i in range(ncomp):
        ident = data[seg + 8 + 3 * i]
        h = data[seg + 9 + 3 * i] >> 4
        v = data[seg + 9 + 3 * i] & 15
        tq = data[seg + 10 + 3 * i]
        if not (1 <= h <= 4 and 1 <= v <= 4):
            raise JpegError(f"invalid JPEG: component {ident} has sampling factors {h}x{v} (T.81 allows 1..4)")
        if tq > 3:
            raise JpegError(f"invalid JPEG: component {ident} uses quantization table {tq} (T.81 allows 0..3)")
        for j in range(i):
            if frame.comp[j].id == ident:
                raise JpegError(f"invalid JPEG: component id {ident} appears twice in the frame header")
        frame.comp[i].id = ident
        frame.comp[i].h = h
        frame.comp[i].v = v
        frame.comp[i].quant_id = tq
        frame.hmax = max(frame.hmax, h)
        frame.vmax = max(frame.vmax, v)
    st.have_frame = 1
    return 0


cdef int parse_dht(DecoderState* st, const uint8_t* data, size_t seg, size_t length) except -1:
    # T.81 B.2.4.2: one or more tables of (Tc|Th, 16 counts, symbols).
    cdef size_t p = seg + 2, end = seg + length
    cdef int table_class, table_id, count, i, status
    cdef HuffTable* table
    while p < end:
        if p + 17 > end:
            raise JpegError(f"invalid JPEG: DHT segment at byte {seg - 2} ends inside a table header")
        table_class = data[p] >> 4
        table_id = data[p] & 15
        if table_class > 1 or table_id > 3:
            raise JpegError(f"invalid JPEG: DHT at byte {p} defines table class {table_class} id {table_id} "
                            "(class 0..1, id 0..3 allowed)")
        count = 0
        for i in range(16):
            count += data[p + 1 + i]
        if count > 256:
            raise JpegError(f"invalid JPEG: Huffman table at byte {p} declares {count} symbols (at most 256)")
        if p + 17 + count > end:
            raise JpegError(f"invalid JPEG: Huffman table at byte {p} declares {count} symbols but its DHT "
                            "segment is shorter")
        table = &st.dc_tables[table_id] if table_class == 0 else &st.ac_tables[table_id]
        status = huff_build_cached(st, table, table_class, table_id, data + p + 1, count)
        if status == HUFF_TABLE_OVERFULL:
            raise JpegError(f"invalid JPEG: Huffman table at byte {p} has more codes of some length than fit")
        if status != HUFF_OK:
            raise JpegError(f"invalid JPEG: bad Huffman table at byte {p}")
        p += 17 + count
    return 0


cdef int huff_build_cached(DecoderState* st, HuffTable* table, int table_class, int table_id,
                           const uint8_t* counts, int count) noexcept:
    # huff_build, through TABLE_CACHE (the GIL held). counts: the 16 counts, then `count` symbols.
    global table_cache_next
    cdef int i, status, key_length = 17 + count
    cdef CachedTable* slot
    st.table_slot[table_class][table_id] = 0
    for i in range(TABLE_CACHE_SLOTS):
        slot = &TABLE_CACHE[i]
        if (slot.key_length == key_length and slot.key[0] == table_class
                and memcmp(slot.key + 1, counts, key_length - 1) == 0):
            break
    else:
        i = table_cache_next
        table_cache_next = (i + 1) % TABLE_CACHE_SLOTS
        slot = &TABLE_CACHE[i]
        slot.key_length = 0
        slot.generation += 1
        slot.skip_ready = 0
        status = huff_build(&slot.table, counts, counts + 16, table_class == 0)
        if status != HUFF_OK:
            return status                # the slot stays empty: a bad table is not kept
        slot.key[0] = <uint8_t>table_class
        memcpy(slot.key + 1, counts, key_length - 1)
        slot.key_length = key_length
    memcpy(table, &slot.table, sizeof(HuffTable))
    st.table_slot[table_class][table_id] = i + 1
    st.table_generation[table_class][table_id] = slot.generation
    return HUFF_OK


cdef int parse_dac(DecoderState* st, const uint8_t* data, size_t seg, size_t length) except -1:
    # T.81 B.2.4.3: one or more (Tc|Tb, Cs) pairs. DC (Tc = 0): Cs = U << 4 | L, the bounds of the small
    # difference category (F.1.4.4.1.2), L <= U; AC (Tc = 1): Cs = Kx, 1..63 (F.1.4.4.2.1).
    cdef size_t p = seg + 2, end = seg + length
    cdef int table_class, table_id, value
    if (length - 2) % 2:
        raise JpegError(f"invalid JPEG: DAC segment at byte {seg - 2} has length {length} (2 + 2 per table)")
    while p < end:
        table_class = data[p] >> 4
        table_id = data[p] & 15
        value = data[p + 1]
        if table_class > 1 or table_id > 3:
            raise JpegError(f"invalid JPEG: DAC at byte {p} conditions table class {table_class} id {table_id} "
                            "(class 0..1, id 0..3 allowed)")
        if table_class == 0:
            if (value & 15) > (value >> 4):
                raise JpegError(f"invalid JPEG: DAC at byte {p} gives DC table {table_id} L={value & 15} > "
                                f"U={value >> 4}")
            st.arith_conditioning.dc_l[table_id] = value & 15
            st.arith_conditioning.dc_u[table_id] = value >> 4
        else:
            if not 1 <= value <= 63:
                raise JpegError(f"invalid JPEG: DAC at byte {p} gives AC table {table_id} Kx={value} (1..63 allowed)")
            st.arith_conditioning.ac_kx[table_id] = value
        p += 2
    return 0


cdef int parse_dqt(DecoderState* st, const uint8_t* data, size_t seg, size_t length) except -1:
    # T.81 B.2.4.1: one or more tables of (Pq|Tq, 64 values in zigzag order, 8 or 16 bits each).
    cdef size_t p = seg + 2, end = seg + length
    cdef int precision, table_id, k, entry_size
    while p < end:
        precision = data[p] >> 4
        table_id = data[p] & 15
        if precision > 1 or table_id > 3:
            raise JpegError(f"invalid JPEG: DQT at byte {p} defines table {table_id} with precision {precision} "
                            "(id 0..3, precision 0..1 allowed)")
        entry_size = 2 if precision else 1
        if p + 1 + 64 * entry_size > end:
            raise JpegError(f"invalid JPEG: quantization table at byte {p} runs past the end of its DQT segment")
        for k in range(64):
            if precision:
                st.quant[table_id][ZIGZAG_TO_NATURAL[k]] = read_u16(data, p + 1 + 2 * k)
            else:
                st.quant[table_id][ZIGZAG_TO_NATURAL[k]] = data[p + 1 + k]
        st.quant_defined[table_id] = 1
        p += 1 + 64 * entry_size
    return 0


cdef int parse_sos(DecoderState* st, const uint8_t* data, size_t seg, size_t length, Scan* scan) except -1:
    # T.81 B.2.3 scan header: Ns, (Cs, Td|Ta) per component, Ss, Se, Ah|Al.
    cdef int ns, i, j, ident, found
    cdef size_t at = seg - 2
    if not st.have_frame:
        raise JpegError(f"invalid JPEG: scan (SOS) at byte {at} comes before any frame header (SOF)")
    if length < 3:
        raise JpegError(f"invalid JPEG: SOS segment at byte {at} is too short")
    ns = data[seg + 2]
    scan.at = at
    if length != 6 + 2 * ns:
        raise JpegError(f"invalid JPEG: SOS segment at byte {at} has length {length} but {ns} components need {6 + 2 * ns}")
    if ns < 1 or ns > st.frame.ncomp:
        raise JpegError(f"invalid JPEG: scan at byte {at} has {ns} components (the frame has {st.frame.ncomp})")
    scan.ncomp = ns
    for i in range(ns):
        ident = data[seg + 3 + 2 * i]
        found = -1
        for j in range(st.frame.ncomp):
            if st.frame.comp[j].id == ident:
                found = j
        if found < 0:
            raise JpegError(f"invalid JPEG: scan at byte {at} names component {ident}, which is not in the frame")
        for j in range(i):
            if scan.comp_index[j] == found:
                raise JpegError(f"invalid JPEG: scan at byte {at} names component {ident} twice")
        scan.comp_index[i] = found
        # Selectors above 3 are refused by prepare_scan when the scan uses that table (libjpeg ignores the
        # DC selector of a progressive AC scan, for one).
        st.frame.comp[found].dc_table = data[seg + 4 + 2 * i] >> 4
        st.frame.comp[found].ac_table = data[seg + 4 + 2 * i] & 15
    scan.ss = data[seg + 3 + 2 * ns]
    scan.se = data[seg + 4 + 2 * ns]
    scan.ah = data[seg + 5 + 2 * ns] >> 4
    scan.al = data[seg + 5 + 2 * ns] & 15
    return 0


cdef int parse_app(const uint8_t* data, size_t start, size_t end, int marker, dict meta) except -1:
    # Application segments: keep what info() reports. Unknown or malformed ones are skipped, as libjpeg does.
    cdef size_t n = end - start
    cdef bytes payload
    if meta is None:
        return 0
    if marker == M_COM:
        meta["comment"] = (<const char*>data)[start:end]      # as Pillow's info["comment"]: the last COM
        return 0
    payload = (<const char*>data)[start:end]
    if marker == M_APP0 and payload[:5] == b"JFIF\x00":
        meta["_saw_jfif"] = True              # libjpeg's test for "the components are YCbCr"
    if marker == M_APP0 and payload[:4] == b"JFIF" and n >= 12 and meta.get("jfif_version") is None:
        meta["jfif_version"] = (payload[5], payload[6])
        meta["density"] = ((payload[8] << 8) | payload[9], (payload[10] << 8) | payload[11], payload[7])
    elif marker == M_APP14 and payload[:5] == b"Adobe" and n >= 12:
        meta["adobe_transform"] = payload[11]
    elif marker == M_APP1 and payload[:6] == b"Exif\x00\x00":
        # As Pillow's info["exif"]: the first segment with its "Exif\0\0" prefix, later ones appended bare.
        meta["exif"] = payload if meta.get("exif") is None else meta["exif"] + payload[6:]
    elif marker == M_APP1 and payload[:29] == b"http://ns.adobe.com/xap/1.0/\x00":
        meta["xmp"] = payload[29:]            # as Pillow's info["xmp"]: the last XMP packet
    elif marker == M_APP2 and payload[:12] == b"ICC_PROFILE\x00" and n >= 14 and "sof" not in meta:
        # ICC.1 B.4: chunks carry (sequence number, chunk count). Like Pillow, only chunks before the frame
        # header count, and a profile with a missing chunk is dropped.
        meta.setdefault("_icc_chunks", []).append((payload[12], payload[13], payload[14:]))
    return 0


cdef dict finish_meta(DecoderState* st, dict meta):
    # Turn the frame and the collected segments into read_header's dict.
    cdef Frame* frame = &st.frame
    cdef int i
    meta.pop("_saw_jfif", None)
    chunks = meta.pop("_icc_chunks", None)
    if chunks:
        # Reassembled in sequence-number order; the count every chunk declares must be the number of chunks
        # found (as Pillow checks it), else the profile is incomplete and dropped.
        chunks.sort()
        meta["icc_profile"] = b"".join(c[2] for c in chunks) if chunks[0][1] == len(chunks) else None
    # The orientation as Pillow's getexif() finds it: the EXIF tag, else an XMP tiff:Orientation, else 1.
    orientation = exif_orientation(meta["exif"]) if meta.get("exif") is not None else None
    if orientation is None and meta.get("xmp"):
        found = re.search(rb'tiff:Orientation(="|>)([0-9])', meta["xmp"])
        orientation = int(found[2]) if found else None
    meta["orientation"] = orientation if orientation is not None else 1
    sampling = [(frame.comp[i].h, frame.comp[i].v) for i in range(frame.ncomp)]
    meta.update(
        width=frame.width,
        height=frame.height,
        components=frame.ncomp,
        mode=colour_mode(st, meta),
        sampling_factors=sampling,
        progressive=frame.sof in (0xC2, 0xC6, 0xCA, 0xCE),
        restart_interval=st.restart_interval,
        precision=frame.precision,
        sof=frame.sof,
        arithmetic=frame.sof >= 0xC9,
        lossless=frame.sof in (0xC3, 0xC7, 0xCB, 0xCF),
        hierarchical=frame.sof in (0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF),
        component_ids=[frame.comp[i].id for i in range(frame.ncomp)],
    )
    for key in ("jfif_version", "density", "adobe_transform"):
        meta.setdefault(key, None)
    return meta


cdef str colour_mode(DecoderState* st, dict meta):
    # The colour space of the decoded pixels, decided as libjpeg does (jdapimin.c default_decompress_parms):
    # JFIF means YCbCr; otherwise an Adobe marker's transform flag; otherwise component ids 'R','G','B' mean RGB.
    cdef Frame* frame = &st.frame
    transform = meta.get("adobe_transform")
    if frame.ncomp == 1:
        return "L"
    if frame.ncomp == 3:
        return "RGB"
    if frame.ncomp == 4:
        return "CMYK" if transform in (None, 0) else "YCCK"
    return "unknown"


cdef int ycc_transform(DecoderState* st, dict meta):
    # 1 when three components hold YCbCr that must be converted, 0 when they already are R, G, B.
    cdef Frame* frame = &st.frame
    if meta.get("_saw_jfif"):
        return 1
    transform = meta.get("adobe_transform")
    if transform is not None:
        return 0 if transform == 0 else 1
    if frame.comp[0].id == 0x52 and frame.comp[1].id == 0x47 and frame.comp[2].id == 0x42:   # 'R', 'G', 'B'
        return 0
    return 1


def exif_orientation(exif):
    """The Orientation tag (0x0112) of IFD0 in an APP1 Exif payload as stored (Pillow reports values outside
    1..8 as they are; they leave the pixels unchanged), None when absent."""
    tiff = exif[6:]
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    order = "little" if tiff[:2] == b"II" else "big"
    ifd = int.from_bytes(tiff[4:8], order)
    if ifd + 2 > len(tiff):
        return None
    count = int.from_bytes(tiff[ifd:ifd + 2], order)
    for i in range(count):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(tiff):
            break
        if int.from_bytes(tiff[entry:entry + 2], order) == 0x0112:
            value = int.from_bytes(tiff[entry + 8:entry + 10], order)
            return value
    return None


cdef size_t parse_to_first_scan(DecoderState* st, const uint8_t[::1] data, dict meta, Scan* scan, int* marker) except? 0:
    cdef size_t size = data.shape[0]
    cdef size_t pos = 2
    arith_conditioning_init(&st.arith_conditioning)
    if size == 0:
        raise JpegError("not a JPEG file: the data is empty")
    if size < 2 or data[0] != 0xFF or data[1] != M_SOI:
        raise JpegError(f"not a JPEG file: it starts with {(<const char*>&data[0])[:min(size, 4)]!r}, not the SOI marker FF D8")
    marker[0] = parse_segments(st, &data[0], size, &pos, meta, scan)
    if not st.have_frame:
        if marker[0] == M_SOS:
            raise JpegError("invalid JPEG: scan before the frame header")
        raise JpegError(f"JPEG data is truncated: no frame header (SOF) in {size} bytes")
    return pos


def read_header(const uint8_t[::1] data):
    """Parse the headers up to the first scan and return them as a dict (see _api.info)."""
    cdef DecoderState* st = <DecoderState*>calloc(1, sizeof(DecoderState))
    cdef Scan scan
    cdef int marker
    cdef dict meta = {}
    if st == NULL:
        raise MemoryError()
    try:
        parse_to_first_scan(st, data, meta, &scan, &marker)
        return finish_meta(st, meta)
    finally:
        free(st)


# ----------------------------------------------------------------------------------------------------------
# Frame set-up (with the GIL): checks, geometry, allocation

cdef int check_supported(DecoderState* st, long long max_pixels) except -1:
    cdef Frame* frame = &st.frame
    cdef int sof = frame.sof
    if sof in (0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF):
        raise UnsupportedJpegError(f"hierarchical JPEG (SOF{sof - 0xC0}) is not supported")
    if sof == 0xCB:
        raise UnsupportedJpegError("lossless arithmetic-coded JPEG (SOF11) is not supported")
    if frame.precision != 8:
        raise UnsupportedJpegError(f"{frame.precision}-bit JPEG samples are not supported (only 8-bit)")
    if frame.ncomp not in (1, 3, 4):
        raise UnsupportedJpegError(f"JPEG files with {frame.ncomp} components are not supported (1, 3 or 4)")
    if <long long>frame.width * frame.height > max_pixels:
        raise JpegError(f"image is too large: {frame.width}x{frame.height} is more than {max_pixels} pixels "
                        "(max_pixels)")
    frame.progressive = sof in (0xC2, 0xCA)
    frame.arithmetic = sof in (0xC9, 0xCA)
    frame.lossless = sof == 0xC3
    return 0


cdef int setup_frame(DecoderState* st, int scale, int first_scan_ncomp) except -1:
    # T.81 A.1.1 and A.2.4: component dimensions, MCU counts; then the planes and row buffers.
    # Scaled output (libjpeg's scale_num / scale_denom = 1 / scale): every component starts at 8 / scale
    # samples per block side and, like libjpeg-turbo's jdmaster.c, a subsampled component takes a larger
    # block size while that still divides evenly, so 4:2:0 chroma at scale 2 is decoded 8x8 and needs no
    # upsampling at all.
    cdef Frame* frame = &st.frame
    cdef Component* comp
    cdef int i, bs
    cdef size_t plane_bytes, coef_count
    frame.mcus_x = (frame.width + 8 * frame.hmax - 1) // (8 * frame.hmax)
    frame.mcus_y = (frame.height + 8 * frame.vmax - 1) // (8 * frame.vmax)
    frame.scale_bs = 8 // scale
    frame.out_w = (frame.width * frame.scale_bs + 7) // 8
    frame.out_h = (frame.height * frame.scale_bs + 7) // 8
    st.colsum = <uint16_t*>calloc(frame.mcus_x * frame.hmax * 8 + 16, sizeof(uint16_t))
    if st.colsum == NULL:
        raise MemoryError()
    for i in range(frame.ncomp):
        comp = &frame.comp[i]
        if frame.hmax % comp.h or frame.vmax % comp.v:
            raise UnsupportedJpegError(f"component {comp.id} has sampling factors {comp.h}x{comp.v}, a "
                                       f"non-integral fraction of {frame.hmax}x{frame.vmax} (libjpeg refuses these too)")
        bs = frame.scale_bs
        while (bs < 8 and (frame.hmax * frame.scale_bs) % (comp.h * bs * 2) == 0
               and (frame.vmax * frame.scale_bs) % (comp.v * bs * 2) == 0):
            bs *= 2
        if st.luma_only and i > 0:
            bs = 1                  # chroma is decoded (its bits must be read) but never output: DC only
        comp.block_size = bs
        comp.h_ratio = (frame.hmax * frame.scale_bs) // (comp.h * bs)
        comp.v_ratio = (frame.vmax * frame.scale_bs) // (comp.v * bs)
        # Unscaled: ceil(X * h / hmax) (A.1.1); scaled, libjpeg's downsampled_width at the block size.
        comp.sample_w = (<long long>frame.width * comp.h * bs + frame.hmax * 8 - 1) // (frame.hmax * 8)
        comp.sample_h = (<long long>frame.height * comp.v * bs + frame.vmax * 8 - 1) // (frame.vmax * 8)
        # The blocks a non-interleaved scan codes depend on the unscaled size only.
        comp.blocks_w = ((frame.width * comp.h + frame.hmax - 1) // frame.hmax + 7) // 8
        comp.blocks_h = ((frame.height * comp.v + frame.vmax - 1) // frame.vmax + 7) // 8
        comp.stride = frame.mcus_x * comp.h * bs
        # Memory: when the first scan is sequential and interleaves every component (nearly every baseline
        # file) and for progressive files (whose coefficient buffer holds the whole image), rows are converted
        # to output one MCU row behind the decoding, so the plane is a ring of 3 MCU rows (the row being
        # written, the one before it that fancy upsampling still reads, and one spare) and memory is the output
        # plus a few MCU rows. Non-interleaved sequential files need the whole plane, as libjpeg's buffer.
        comp.plane_rows = frame.mcus_y * comp.v * bs
        if (frame.progressive or first_scan_ncomp == frame.ncomp) and frame.mcus_y > 3:
            comp.plane_rows = 3 * comp.v * bs
        # libjpeg-turbo's jinit_upsampler: triangle filters only when blocks are larger than 1 sample.
        if comp.h_ratio == 1 and comp.v_ratio == 1:
            comp.upsample = UPSAMPLE_NONE
        elif frame.scale_bs > 1 and comp.h_ratio == 2 and comp.v_ratio == 1 and comp.sample_w > 2:
            comp.upsample = UPSAMPLE_H2V1_FANCY
        elif frame.scale_bs > 1 and comp.h_ratio == 2 and comp.v_ratio == 2 and comp.sample_w > 2:
            comp.upsample = UPSAMPLE_H2V2_FANCY
        elif frame.scale_bs > 1 and comp.h_ratio == 1 and comp.v_ratio == 2:
            comp.upsample = UPSAMPLE_H1V2_FANCY
        else:
            comp.upsample = UPSAMPLE_REPLICATE
        plane_bytes = <size_t>comp.stride * comp.plane_rows
        comp.plane = <uint8_t*>malloc(plane_bytes)
        comp.row_buffer = <uint8_t*>calloc(comp.stride * comp.h_ratio + 64, 1)
        if comp.plane == NULL or comp.row_buffer == NULL:
            raise MemoryError()
        # Never-decoded samples read as 128, what an all-zero block gives (T.81 A.3.1 level shift).
        memset(comp.plane, 128, plane_bytes)
        if frame.progressive:
            # The coefficient buffer: int16 per coefficient for every block of every MCU (counted in the
            # memory bound: 2 bytes x 64 per block, about 2 bytes per sample).
            comp.coef_blocks_w = frame.mcus_x * comp.h
            comp.coef_blocks_h = frame.mcus_y * comp.v
            # A component output at one sample per block whose AC scans are all passed over keeps its DC
            # alone: 2 bytes per block instead of 128 (an 8K frame's luma: 1 MB instead of 66 MB).
            comp.coef_stride = 1 if st.pass_over_scans and bs == 1 else 64
            coef_count = <size_t>comp.coef_blocks_w * comp.coef_blocks_h * comp.coef_stride
            comp.coef = <int16_t*>calloc(coef_count, sizeof(int16_t))
            if comp.coef == NULL:
                raise MemoryError()
            if not frame.arithmetic and comp.coef_stride == 64:
                # The refinement scans' map of nonzero coefficients (_huffdec.pxd): 8 bytes more per block
                # (none for a DC-alone buffer, whose AC scans are never read).
                comp.nonzero = <uint64_t*>calloc(<size_t>comp.coef_blocks_w * comp.coef_blocks_h, sizeof(uint64_t))
                if comp.nonzero == NULL:
                    raise MemoryError()
    memset(st.coef_bits, -1, sizeof(st.coef_bits))
    return 0


cdef void free_state(DecoderState* st) noexcept:
    cdef int i
    if st == NULL:
        return
    for i in range(MAX_COMPONENTS):
        free(st.frame.comp[i].plane)
        free(st.frame.comp[i].row_buffer)
        free(st.frame.comp[i].coef)
        free(st.frame.comp[i].nonzero)
    free(st.colsum)
    free(st.ac_skip)
    free(st)


# ----------------------------------------------------------------------------------------------------------
# Rows out: upsampling and colour conversion (no GIL)

cdef inline bint needs_context(const Component* comp) noexcept nogil:
    # Fancy upsampling down the rows (libjpeg's h2v2 and h1v2 filters) reads a sample row of context above and
    # below each row: a band of MCU rows must decode the MCU rows on either side of it for this component.
    return comp.upsample == UPSAMPLE_H2V2_FANCY or comp.upsample == UPSAMPLE_H1V2_FANCY


cdef inline uint8_t* plane_row(Component* comp, int row) noexcept nogil:
    # Sample row `row` of a component's plane; the plane may be a ring of whole MCU rows (plane_rows divides
    # the MCU row height evenly), in which case rows wrap.
    return comp.plane + (row % comp.plane_rows) * comp.stride

cdef inline const uint8_t* component_row(DecoderState* st, Component* comp, int y) noexcept nogil:
    # Row y of the output image for one component, at full resolution.
    cdef int src_y, far_y
    cdef const uint8_t* src
    if comp.upsample == UPSAMPLE_NONE:
        return plane_row(comp, y)
    if comp.upsample == UPSAMPLE_H2V1_FANCY:
        upsample_h2v1_fancy(plane_row(comp, y), comp.sample_w, comp.row_buffer)
        return comp.row_buffer
    if needs_context(comp):
        # The nearer source row and, for the upper row of each pair, the one above, else the one below;
        # at the top and bottom edges the edge row stands in for the missing one.
        src_y = y >> 1
        far_y = src_y - 1 if (y & 1) == 0 else src_y + 1
        if far_y < 0:
            far_y = 0
        if far_y > comp.sample_h - 1:
            far_y = comp.sample_h - 1
        if comp.upsample == UPSAMPLE_H2V2_FANCY:
            upsample_h2v2_fancy(plane_row(comp, src_y), plane_row(comp, far_y),
                                comp.sample_w, st.colsum, comp.row_buffer)
        else:
            upsample_h1v2_fancy(plane_row(comp, src_y), plane_row(comp, far_y),
                                comp.sample_w, 1 if (y & 1) == 0 else 2, comp.row_buffer)
        return comp.row_buffer
    src = plane_row(comp, y // comp.v_ratio)
    if comp.h_ratio == 1:
        return src
    upsample_replicate(src, comp.sample_w, comp.h_ratio, comp.row_buffer)
    return comp.row_buffer


cdef void convert_rows(DecoderState* st, int y_end) noexcept nogil:
    # Output rows rows_done .. y_end-1, from planes that hold every sample those rows need.
    if use_avx2:
        convert_rows_avx2(st, y_end)
    else:
        convert_rows_portable(st, y_end)


cdef avx2_void convert_rows_avx2(DecoderState* st, int y_end) noexcept nogil:
    convert_rows_impl(st, y_end, 1)


cdef portable_void convert_rows_portable(DecoderState* st, int y_end) noexcept nogil:
    convert_rows_impl(st, y_end, 0)


cdef inline void convert_rows_impl(DecoderState* st, int y_end, int avx2) noexcept nogil:
    cdef Frame* frame = &st.frame
    cdef int y
    cdef const uint8_t* row0
    cdef const uint8_t* row1
    cdef const uint8_t* row2
    cdef const uint8_t* row3
    cdef uint8_t* out
    if y_end > frame.out_h:
        y_end = frame.out_h
    for y in range(st.rows_done, y_end):
        out = st.out + y * st.out_stride
        if frame.ncomp == 1 or st.luma_only:
            memcpy(out, plane_row(&frame.comp[0], y), frame.out_w)
            continue
        row0 = component_row(st, &frame.comp[0], y)
        row1 = component_row(st, &frame.comp[1], y)
        row2 = component_row(st, &frame.comp[2], y)
        if frame.ncomp == 4:
            row3 = component_row(st, &frame.comp[3], y)
            if st.transform:
                ycck_to_inverted_cmyk_row(&COLOUR_TABLES, row0, row1, row2, row3, out, frame.out_w)
            else:
                interleave_inverted_row(row0, row1, row2, row3, out, frame.out_w)
        elif st.transform:
            ycc_to_rgb_row_dispatch(&COLOUR_TABLES, row0, row1, row2, out, frame.out_w, avx2)
        else:
            interleave_row(row0, row1, row2, out, frame.out_w)
    if y_end > st.rows_done:
        st.rows_done = y_end


cdef inline int rows_complete(Frame* frame, int gray_row_height, int my, int last_row, int y_end) noexcept nogil:
    # The output rows that can be converted once MCU row `my` is decoded. One component: all of them
    # (gray_row_height per MCU row). Upsampled chroma: all but the last vmax, whose fancy upsampling reads the
    # next MCU row as context. At the last MCU row (of the image or of a band), every row up to y_end.
    cdef int ready
    if frame.ncomp == 1:
        ready = (my + 1) * gray_row_height
    else:
        ready = (my + 1) * frame.scale_bs * frame.vmax - frame.vmax
    if my == last_row or ready > y_end:
        return y_end
    return ready


# ----------------------------------------------------------------------------------------------------------
# The scans (no GIL)

cdef int restart(DecoderState* st, BitReader* br, int* expected_rst, int* lost_interval,
                 long long mcu, long long total) noexcept nogil:
    # T.81 F.1.2.3 / E.2.4: after every restart interval the encoder pads to a byte and writes RSTn, n counting
    # 0..7. Find it; if it is not the one expected, resynchronise as libjpeg does (jdmarker.c resync): an
    # earlier RST is skipped, one of the next two means this interval's marker was lost (the marker is kept
    # for the next boundary and the interval comes out as libjpeg makes it: its first MCU decoded from zero
    # bits, the rest empty), anything else is taken as the expected one.
    cdef int marker, distance
    # libjpeg decodes the first MCU of a lost interval from zero bits only while its "insufficient data" flag
    # is clear; after a lost or broken interval it stays set and the whole interval comes out empty.
    cdef int was_lost = lost_interval[0]
    br_reset_bits(br)
    lost_interval[0] = 0
    while True:
        if not br.stopped:
            br_find_marker(br)
        marker = br.marker
        if marker == 0:
            snprintf(st.message, MESSAGE_SIZE, "JPEG data is truncated: scan data ends at byte %llu "
                     "(after MCU %lld of %lld, expecting restart marker RST%d)",
                     <unsigned long long>br.marker_pos, mcu, total, expected_rst[0])
            return STATUS_CORRUPT
        if marker < M_RST0 or marker > M_RST7:
            snprintf(st.message, MESSAGE_SIZE, "JPEG data is truncated: marker 0xFF%02X at byte %llu ends the "
                     "scan after MCU %lld of %lld (expecting restart marker RST%d)",
                     marker, <unsigned long long>br.marker_pos, mcu, total, expected_rst[0])
            if must_raise(st, False):
                return STATUS_CORRUPT
            if marker < 0xC0:
                # Concealing, as libjpeg's resync: no marker has a code below SOF0; skip it and look on.
                br.pos = br.marker_pos + 2
                br.stopped = 0
                br.marker = 0
                continue
            # A real marker (the next scan, EOI...): the rest of the scan has no data and comes out empty.
            lost_interval[0] = 1 if was_lost else 2
            return STATUS_OK
        distance = (marker - M_RST0 - expected_rst[0]) & 7
        if distance != 0:
            snprintf(st.message, MESSAGE_SIZE, "JPEG data is corrupt: found marker RST%d instead of RST%d at byte "
                     "%llu (after MCU %lld of %lld)", marker - M_RST0, expected_rst[0],
                     <unsigned long long>br.marker_pos, mcu, total)
            if must_raise(st, False):
                return STATUS_CORRUPT
        if distance == 1 or distance == 2:
            # The expected marker is missing: leave this one for the next boundary.
            lost_interval[0] = 1 if was_lost else 2
            expected_rst[0] = (expected_rst[0] + 1) & 7
            return STATUS_OK
        # Consume the marker; an earlier one (distance 6 or 7) means look further.
        br.pos = br.marker_pos + 2
        br.stopped = 0
        br.marker = 0
        if distance == 6 or distance == 7:
            continue
        expected_rst[0] = (expected_rst[0] + 1) & 7
        return STATUS_OK


cdef int truncation_message(DecoderState* st, BitReader* br, long long mcu, long long total) noexcept nogil:
    if br.marker == 0:
        snprintf(st.message, MESSAGE_SIZE, "JPEG data is truncated: scan data ends at byte %llu "
                 "(in MCU %lld of %lld)", <unsigned long long>br.marker_pos, mcu, total)
    else:
        snprintf(st.message, MESSAGE_SIZE, "JPEG data is truncated: marker 0xFF%02X at byte %llu "
                 "interrupts the scan data (in MCU %lld of %lld)", br.marker,
                 <unsigned long long>br.marker_pos, mcu, total)
    return STATUS_CORRUPT


cdef int entropy_message(DecoderState* st, BitReader* br, int result, int comp_id, long long mcu,
                         long long total) noexcept nogil:
    if result == HUFF_DC_RANGE:
        snprintf(st.message, MESSAGE_SIZE, "JPEG data is corrupt: DC coefficient out of "
                 "range near byte %llu (component %d, MCU %lld)",
                 <unsigned long long>br_byte_position(br), comp_id, mcu)
    else:
        snprintf(st.message, MESSAGE_SIZE, "JPEG data is corrupt: invalid Huffman code near "
                 "byte %llu (component %d, MCU %lld of %lld)",
                 <unsigned long long>br_byte_position(br), comp_id, mcu, total)
    return STATUS_CORRUPT


cdef int concealed_message(DecoderState* st, BitReader* br, int comp_id, long long mcu,
                           long long total) noexcept nogil:
    # entropy_message for the damage the entropy decoder concealed (strict would have raised it there).
    if br.concealed == HUFF_DC_RANGE:
        snprintf(st.message, MESSAGE_SIZE, "JPEG data is corrupt: DC coefficient out of "
                 "range near byte %llu (component %d, MCU %lld)",
                 <unsigned long long>br.concealed_pos, comp_id, mcu)
    else:
        snprintf(st.message, MESSAGE_SIZE, "JPEG data is corrupt: invalid Huffman code near "
                 "byte %llu (component %d, MCU %lld of %lld)",
                 <unsigned long long>br.concealed_pos, comp_id, mcu, total)
    return STATUS_CORRUPT


cdef int must_raise(DecoderState* st, bint truncation) noexcept nogil:
    # st.message names damage just found. 1 when it is an error: always with strict=True, and for data that
    # ran out unless strict=False (Pillow: "image file is truncated"). Otherwise it is concealed the way
    # libjpeg conceals it (with a warning): the first such message is kept as the warning, and 0 returned.
    if st.strict or (truncation and not st.accept_truncated):
        return 1
    if not st.warned:
        memcpy(st.warning, st.message, MESSAGE_SIZE)
        st.warned = 1
    return 0


cdef int scan_mcus(DecoderState* st, Scan* scan, Component** comps, int* mcus_w, int* mcus_h) noexcept nogil:
    # The MCU grid of a scan: one block per MCU when non-interleaved (A.2.2), else the frame's (A.2.3).
    cdef int i, blocks = 0
    if scan.ncomp == 1:
        mcus_w[0] = comps[0].blocks_w
        mcus_h[0] = comps[0].blocks_h
        return STATUS_OK
    mcus_w[0] = st.frame.mcus_x
    mcus_h[0] = st.frame.mcus_y
    for i in range(scan.ncomp):
        blocks += comps[i].h * comps[i].v
    if blocks > 10:
        # T.81 B.2.3: an interleaved MCU holds at most 10 blocks.
        snprintf(st.message, MESSAGE_SIZE, "invalid JPEG: an interleaved MCU of %d blocks (T.81 allows 10)", blocks)
        return STATUS_CORRUPT
    return STATUS_OK


cdef int decode_sequential_scan(DecoderState* st, Scan* scan, const uint8_t* data, size_t size,
                                size_t* pos_io) noexcept nogil:
    # The twin for this CPU (_dispatch.h): the same loop compiled for baseline x86-64 and for AVX2, each with
    # its own inlined copy of the Huffman decoder, IDCT, upsampling and colour conversion.
    cdef int status = STATUS_CORRUPT
    if use_avx2:
        decode_sequential_scan_avx2(st, scan, data, size, pos_io, &status)
    else:
        decode_sequential_scan_portable(st, scan, data, size, pos_io, &status)
    return status


# (The twins return through a pointer: a C variable of the attributed return type would draw warnings.)
cdef avx2_void decode_sequential_scan_avx2(DecoderState* st, Scan* scan, const uint8_t* data, size_t size,
                                           size_t* pos_io, int* status) noexcept nogil:
    status[0] = decode_sequential_scan_impl(st, scan, data, size, pos_io, 1)


cdef portable_void decode_sequential_scan_portable(DecoderState* st, Scan* scan, const uint8_t* data,
                                                   size_t size, size_t* pos_io, int* status) noexcept nogil:
    status[0] = decode_sequential_scan_impl(st, scan, data, size, pos_io, 0)


ctypedef struct HeldBlock:
    # A full 8x8 block kept back until a second one comes, so that the AVX2 twin transforms the two at once.
    const int16_t* coef            # NULL: none held
    const uint16_t* quant
    uint8_t* dest
    Py_ssize_t stride


cdef inline void idct_paired(HeldBlock* held, int block_size, int dc_only, const int16_t* coef,
                             const uint16_t* quant, uint8_t* dest, Py_ssize_t stride, int avx2) noexcept nogil:
    # idct_scaled, but in the AVX2 twin (avx2: a constant 1 there) a full 8x8 transform waits in `held` for
    # the next one and the two run as one pair, with the same bytes. The caller keeps a held block's
    # coefficients unchanged, and calls idct_flush before anything reads its samples.
    if avx2 and block_size == 8 and not dc_only:
        if held.coef != NULL:
            cy_idct_islow_avx2_pair(held.coef, held.quant, held.dest, held.stride, coef, quant, dest, stride)
            held.coef = NULL
        else:
            held.coef = coef
            held.quant = quant
            held.dest = dest
            held.stride = stride
        return
    idct_scaled(block_size, dc_only, coef, quant, dest, stride)


cdef inline void idct_flush(HeldBlock* held) noexcept nogil:
    # The held block, if any, alone.
    if held.coef != NULL:
        idct_scaled(8, 0, held.coef, held.quant, held.dest, held.stride)
        held.coef = NULL


cdef inline void transform_mcu(int16_t* mcu_coef, int blocks, const int* results, const int* block_sizes,
                               const uint16_t** quants, uint8_t** dests, const Py_ssize_t* strides,
                               int avx2) noexcept nogil:
    # The inverse transforms of one MCU's blocks (results: huff_decode_block's; full ones in pairs in the AVX2
    # twin, see idct_paired), then each block cleared: a DC-only block wrote nothing but its DC term.
    cdef int b
    cdef int16_t* coef = mcu_coef
    cdef HeldBlock held
    held.coef = NULL
    for b in range(blocks):
        idct_paired(&held, block_sizes[b], results[b] == 1, coef + 64 * b, quants[b], dests[b], strides[b], avx2)
    idct_flush(&held)
    for b in range(blocks):
        if results[b] == 1:
            coef[0] = 0
        else:
            cy_clear_block(coef)
        coef += 64


cdef inline int decode_sequential_scan_impl(DecoderState* st, Scan* scan, const uint8_t* data, size_t size,
                                            size_t* pos_io, int avx2) noexcept nogil:
    # T.81 F.2 / Figure F.2 (decode_scan) for Huffman sequential scans. MCUs in raster order; an interleaved
    # MCU holds h x v blocks of each component (A.2.3), a non-interleaved one a single block (A.2.2).
    # Concealing (strict=None/False): once a marker cuts the data short (or, strict=False, the data runs out),
    # the rest of the restart interval or scan is decoded as all-zero (grey), as libjpeg does after "premature
    # end of data segment"; a bad code reads as symbol 0 and decoding goes on, as libjpeg's does.
    cdef Frame* frame = &st.frame
    cdef Component* comp
    cdef Component* comps[MAX_COMPONENTS]
    cdef HuffTable* dc_tables[MAX_COMPONENTS]
    cdef HuffTable* ac_tables[MAX_COMPONENTS]
    cdef const uint16_t* quants[MAX_COMPONENTS]
    cdef BitReader br
    cdef BitReader zero_bits       # a reader that only yields zeros, for the first MCU of a lost interval
    # One MCU's blocks, decoded before any is transformed (see MCU_BLOCKS); zero between MCUs.
    cdef int16_t mcu_coef[MCU_BLOCKS * 64]
    cdef uint8_t* mcu_dest[MCU_BLOCKS]
    cdef const uint16_t* mcu_quant[MCU_BLOCKS]
    cdef Py_ssize_t mcu_stride[MCU_BLOCKS]
    cdef int mcu_size[MCU_BLOCKS]
    cdef int mcu_result[MCU_BLOCKS]
    cdef int blocks
    cdef int16_t* coef
    cdef uint8_t* block_rows[MAX_COMPONENTS][4]   # this MCU row: each component's block rows (v <= 4)
    cdef int i, bx, by, mx, my, mcus_w, mcus_h, result, expected_rst = 0, lost = 0, bs
    cdef int ri = st.restart_interval, left_in_interval
    cdef long long mcu = 0, total
    cdef bint covers_frame = scan.ncomp == frame.ncomp
    cdef uint8_t* dest
    cdef DcScan dc_scan            # 1/8 scale: the scan as _dcskip's MCU routine sees it
    cdef bint dc_fast = frame.scale_bs == 1
    cdef int dc_row = -1, first_comp
    cdef BitReader saved_br        # 1/8 scale: the reader and predictions before an MCU, to undo it on damage
    cdef int saved_pred[MAX_COMPONENTS]

    for i in range(scan.ncomp):
        comp = &frame.comp[scan.comp_index[i]]
        comps[i] = comp
        dc_tables[i] = &st.dc_tables[comp.dc_table]
        ac_tables[i] = &st.ac_tables[comp.ac_table]
        quants[i] = &st.quant[comp.quant_id][0]
        comp.dc_pred = 0
        comp.scanned = 1
    if scan_mcus(st, scan, comps, &mcus_w, &mcus_h) != STATUS_OK:
        return STATUS_CORRUPT
    total = <long long>mcus_w * mcus_h
    st.dead = 0
    if dc_fast:
        dc_scan_setup(&dc_scan, scan, comps, dc_tables, ac_tables, quants)
    br_init(&br, data, pos_io[0], size)
    memset(mcu_coef, 0, sizeof(mcu_coef))
    left_in_interval = ri
    for my in range(mcus_h):
        # The planes' rows for this MCU row, found once (plane_row divides) rather than for every block.
        for i in range(scan.ncomp):
            comp = comps[i]
            for by in range(comp.v if scan.ncomp > 1 else 1):
                block_rows[i][by] = plane_row(comp, ((my * comp.v + by) if scan.ncomp > 1 else my) * comp.block_size)
        for mx in range(mcus_w):
            if ri and not st.dead:
                if left_in_interval == 0:
                    result = restart(st, &br, &expected_rst, &lost, mcu, total)
                    if result != STATUS_OK:
                        if must_raise(st, True):
                            return result
                        st.dead = 1
                    for i in range(scan.ncomp):
                        comps[i].dc_pred = 0
                    left_in_interval = ri
                left_in_interval -= 1
            first_comp = 0
            if dc_fast and not lost and not st.dead:
                # 1/8 scale with the data intact: the whole MCU in one call (_dcskip.pxd).
                if dc_row != my:
                    dc_scan_rows(&dc_scan, comps, scan.ncomp > 1, my)
                    dc_row = my
                saved_br = br
                for i in range(scan.ncomp):
                    saved_pred[i] = comps[i].dc_pred
                result = dc_scan_mcu(&br, &dc_scan, mx)
                if result >= 0 and br.concealed == saved_br.concealed:
                    first_comp = scan.ncomp
                else:
                    # Damage: undo the MCU and decode it again below, where it is concealed (or refused) as at
                    # full scale.
                    br = saved_br
                    for i in range(scan.ncomp):
                        comps[i].dc_pred = saved_pred[i]
                    memset(dc_scan.coef, 0, sizeof(dc_scan.coef))
            blocks = 0
            for i in range(first_comp, scan.ncomp):
                comp = comps[i]
                bs = comp.block_size
                for by in range(comp.v if scan.ncomp > 1 else 1):
                    for bx in range(comp.h if scan.ncomp > 1 else 1):
                        if scan.ncomp > 1:
                            dest = block_rows[i][by] + (mx * comp.h + bx) * bs
                        else:
                            dest = block_rows[i][0] + mx * bs
                        coef = mcu_coef + blocks * 64
                        if st.dead:
                            result = 1
                        elif lost == 2:
                            br_init(&zero_bits, data, size, size)
                            zero_bits.stopped = 1
                            result = huff_decode_block(&zero_bits, dc_tables[i], ac_tables[i], &comp.dc_pred, coef)
                        elif lost:
                            result = 1
                        else:
                            result = huff_decode_block(&br, dc_tables[i], ac_tables[i], &comp.dc_pred, coef)
                        if result < 0:
                            entropy_message(st, &br, result, comp.id, mcu, total)
                            return STATUS_CORRUPT      # strict only: concealing decoders note damage in br
                        if br.concealed and not st.warned:
                            concealed_message(st, &br, comp.id, mcu, total)
                            must_raise(st, False)
                        mcu_dest[blocks] = dest
                        mcu_quant[blocks] = quants[i]
                        mcu_stride[blocks] = comp.stride
                        mcu_size[blocks] = bs
                        mcu_result[blocks] = result
                        blocks += 1
            transform_mcu(mcu_coef, blocks, mcu_result, mcu_size, mcu_quant, mcu_dest, mcu_stride, avx2)
            if lost == 2:
                lost = 1
            if not st.dead and not lost and br_overrun(&br):
                truncation_message(st, &br, mcu, total)
                if must_raise(st, br.marker == 0):
                    return STATUS_CORRUPT
                # libjpeg keeps the MCU decoded from the zero padding and greys out the ones after it, up to
                # the next restart marker (where decoding resumes) or the end of the scan.
                if ri:
                    lost = 1
                else:
                    st.dead = 1
            mcu += 1
        if covers_frame:
            convert_rows_impl(st, rows_complete(frame, comps[0].block_size, my, mcus_h - 1, frame.out_h), avx2)
    # Leave pos at the marker that ends the scan (skipping padding and any garbage before it).
    if not br.stopped:
        br_find_marker(&br)
    pos_io[0] = br.marker_pos
    return STATUS_OK


cdef inline void dc_scan_setup(DcScan* dc_scan, Scan* scan, Component** comps, HuffTable** dc_tables,
                               HuffTable** ac_tables, const uint16_t** quants) noexcept nogil:
    # The per-scan part of _dcskip's view: tables, predictions, block layout of an MCU (T.81 A.2.2 / A.2.3).
    cdef int i
    dc_scan.ncomp = scan.ncomp
    memset(dc_scan.coef, 0, sizeof(dc_scan.coef))
    for i in range(scan.ncomp):
        dc_scan.comp[i].dc_table = dc_tables[i]
        dc_scan.comp[i].ac_table = ac_tables[i]
        dc_scan.comp[i].quant = quants[i]
        dc_scan.comp[i].dc_pred = &comps[i].dc_pred
        dc_scan.comp[i].blocks_h = comps[i].h if scan.ncomp > 1 else 1
        dc_scan.comp[i].blocks_v = comps[i].v if scan.ncomp > 1 else 1
        dc_scan.comp[i].block_size = comps[i].block_size
        dc_scan.comp[i].stride = comps[i].stride
        dc_scan.comp[i].mcu_step = dc_scan.comp[i].blocks_h * comps[i].block_size


cdef inline void dc_scan_rows(DcScan* dc_scan, Component** comps, bint interleaved, int my) noexcept nogil:
    # The per-MCU-row part: where each block row of MCU row `my` starts in the (ring) planes.
    cdef int i, by, bs
    for i in range(dc_scan.ncomp):
        bs = comps[i].block_size
        for by in range(dc_scan.comp[i].blocks_v):
            if interleaved:
                dc_scan.comp[i].rows[by] = plane_row(comps[i], (my * comps[i].v + by) * bs)
            else:
                dc_scan.comp[i].rows[by] = plane_row(comps[i], my * bs)


cdef inline bint block_damage(DecoderState* st, BitReader* reader, int result, int comp_id, long long mcu,
                              long long total) noexcept nogil:
    # After a progressive block: True when the scan must stop (a status < 0, which only strict decoders
    # return: concealing ones note damage in the reader), with the message set; concealed damage is
    # reported once, as a warning or (strict) an error.
    if result < 0:
        entropy_message(st, reader, result, comp_id, mcu, total)
        return True
    if reader.concealed and not st.warned:
        concealed_message(st, reader, comp_id, mcu, total)
        must_raise(st, False)
    return False


cdef int decode_progressive_scan(DecoderState* st, Scan* scan, const uint8_t* data, size_t size,
                                 size_t* pos_io) noexcept nogil:
    # T.81 G.1.2: one progressive scan into the coefficient buffers. DC scans (Ss = 0) may interleave
    # components, AC scans (Ss > 0) code one component; Ah = 0 is a first scan, Ah > 0 a refinement.
    # The MCU walk, restart intervals and lost-marker handling are those of the sequential scan.
    cdef Frame* frame = &st.frame
    cdef Component* comp
    cdef Component* comps[MAX_COMPONENTS]
    cdef HuffTable* dc_tables[MAX_COMPONENTS]
    cdef HuffTable* ac_tables[MAX_COMPONENTS]
    cdef BitReader br
    cdef BitReader zero_bits
    cdef BitReader* reader
    cdef int16_t* block
    cdef size_t block_index
    cdef int i, bx, by, mx, my, mcus_w, mcus_h, result = HUFF_OK, expected_rst = 0, lost = 0
    cdef int ri = st.restart_interval, left_in_interval, block_x, block_y, mcu_row, last_good
    cdef int ss = scan.ss, se = scan.se, ah = scan.ah, al = scan.al
    cdef int run_blocks, run_limit, passing = 0
    cdef const uint64_t* run_nonzero
    # An AC scan's band as a mask of zigzag positions (see prog_ac_refine); 0 for DC scans.
    cdef uint64_t band = (~(<uint64_t>0) >> (63 - se)) & (~(<uint64_t>0) << ss) if ss > 0 else 0
    cdef long long mcu = 0, total

    for i in range(scan.ncomp):
        comp = &frame.comp[scan.comp_index[i]]
        comps[i] = comp
        dc_tables[i] = &st.dc_tables[comp.dc_table]
        ac_tables[i] = &st.ac_tables[comp.ac_table]
        comp.dc_pred = 0
        comp.scanned = 1
    if scan_mcus(st, scan, comps, &mcus_w, &mcus_h) != STATUS_OK:
        return STATUS_CORRUPT
    total = <long long>mcus_w * mcus_h
    st.eob_run = 0
    st.dead = 0
    if ss > 0 and comps[0].coef_stride != 64:
        # An AC scan of a component that keeps its DC alone: only reached when the scan's data runs out
        # (pass_over_scan), which data_runs_out rules out before any buffer is sized, unless damage fooled
        # that walk (a marker restart() skips as garbage read as a segment). decode_image then decodes the
        # file again reading every scan, so that the damage is met as a full decode meets it.
        return STATUS_READ_ALL
    br_init(&br, data, pos_io[0], size)
    left_in_interval = ri
    last_good = st.last_good_mcu_row
    for my in range(mcus_h):
        if st.dead:
            break
        mcu_row = my if scan.ncomp > 1 else my // comps[0].v
        for mx in range(mcus_w):
            if passing > 0:
                passing -= 1       # inside an EOB run already counted (below)
                continue
            if ri:
                if left_in_interval == 0:
                    if st.eob_run > 0:
                        snprintf(st.message, MESSAGE_SIZE, "invalid JPEG: an EOB run of %d more blocks runs past "
                                 "the restart interval ending at MCU %lld of %lld (scan at byte %llu)",
                                 st.eob_run, mcu, total, <unsigned long long>scan.at)
                        if must_raise(st, False):
                            return STATUS_CORRUPT
                    result = restart(st, &br, &expected_rst, &lost, mcu, total)
                    if result != STATUS_OK:
                        if must_raise(st, True):
                            return result
                        st.dead = 1
                        break
                    for i in range(scan.ncomp):
                        comps[i].dc_pred = 0
                    st.eob_run = 0
                    left_in_interval = ri
                left_in_interval -= 1
            if lost == 1:
                mcu += 1           # a lost or broken interval: nothing to read until the next marker
                continue
            # libjpeg's last_good_iMCU_row: the MCU row of the last MCU started with its data intact.
            last_good = mcu_row
            if band and st.eob_run > 0 and lost == 0:
                # The blocks of an EOB run read nothing in an AC first scan (G.1.2.2), nor in a refinement
                # when none of their coefficients in the band is nonzero yet (G.1.2.3: no correction bits), so
                # they cannot overrun: those of them within this row and restart interval are counted off at
                # once. (AC scans code one component, one block per MCU.)
                run_limit = min(st.eob_run, mcus_w - mx)
                if ri:
                    run_limit = min(run_limit, left_in_interval + 1)
                run_blocks = run_limit
                if ah:
                    run_nonzero = comps[0].nonzero + (<size_t>my * comps[0].coef_blocks_w + mx)
                    run_blocks = 0
                    while run_blocks < run_limit and (run_nonzero[run_blocks] & band) == 0:
                        run_blocks += 1
                if run_blocks > 0:
                    if ri:
                        left_in_interval -= run_blocks - 1
                    st.eob_run -= run_blocks
                    mcu += run_blocks
                    passing = run_blocks - 1
                    continue
            reader = &br
            if lost == 2:
                br_init(&zero_bits, data, size, size)
                zero_bits.stopped = 1
                reader = &zero_bits
            if band:
                # An AC scan: one component, one block per MCU (its blocks in raster order, T.81 A.2.2).
                comp = comps[0]
                block_index = <size_t>my * comp.coef_blocks_w + mx
                block = comp.coef + block_index * 64
                if ah == 0:
                    result = prog_ac_first(reader, ac_tables[0], block, comp.nonzero + block_index, ss, se, al,
                                           &st.eob_run)
                else:
                    result = prog_ac_refine(reader, ac_tables[0], block, comp.nonzero + block_index, ss, se, al,
                                            &st.eob_run)
                if block_damage(st, reader, result, comp.id, mcu, total):
                    return STATUS_CORRUPT
            else:
                for i in range(scan.ncomp):
                    comp = comps[i]
                    for by in range(comp.v if scan.ncomp > 1 else 1):
                        for bx in range(comp.h if scan.ncomp > 1 else 1):
                            if scan.ncomp > 1:
                                block_y = my * comp.v + by
                                block_x = mx * comp.h + bx
                            else:
                                block_y = my
                                block_x = mx
                            block = comp.coef + (<size_t>block_y * comp.coef_blocks_w + block_x) * comp.coef_stride
                            if ah == 0:
                                result = prog_dc_first(reader, dc_tables[i], &comp.dc_pred, block, al)
                            else:
                                result = prog_dc_refine(reader, block, al)
                            if block_damage(st, reader, result, comp.id, mcu, total):
                                return STATUS_CORRUPT
            if lost == 2:
                lost = 1
            if not lost and br_overrun(&br):
                truncation_message(st, &br, mcu, total)
                if must_raise(st, br.marker == 0):
                    return STATUS_CORRUPT
                # Concealing: the rest of the restart interval (or of the scan) keeps its coefficients.
                result = HUFF_OK
                if ri:
                    lost = 1
                else:
                    st.dead = 1
                    break
            mcu += 1
    st.last_good_mcu_row = last_good
    if st.eob_run > 0 and not st.dead:
        snprintf(st.message, MESSAGE_SIZE, "invalid JPEG: an EOB run of %d more blocks runs past the end of the "
                 "scan at byte %llu", st.eob_run, <unsigned long long>scan.at)
        if must_raise(st, False):
            return STATUS_CORRUPT
    if not br.stopped:
        br_find_marker(&br)
    pos_io[0] = br.marker_pos
    return STATUS_OK


cdef size_t scan_data_end(const uint8_t* data, size_t size, size_t pos) noexcept nogil:
    # Where a scan's entropy-coded data ends without decoding it: the first marker that is not RST0..7. Inside
    # the data a 0xFF byte is followed by a stuffed 0x00 (T.81 F.1.2.3) or by more 0xFF fill bytes before a
    # marker (B.1.1.2), the rules br_find_marker applies. Returns the marker's 0xFF offset, or `size` when the
    # data runs out first.
    cdef const uint8_t* found
    cdef uint8_t code
    while pos + 1 < size:
        found = <const uint8_t*>memchr(data + pos, 0xFF, size - 1 - pos)
        if found == NULL:
            return size
        pos = <size_t>(found - data)
        code = data[pos + 1]
        if code != 0x00 and code != 0xFF and (code < M_RST0 or code > M_RST7):
            return pos
        pos += 1
    return size


cdef bint data_runs_out(const uint8_t* data, size_t size, size_t pos) noexcept nogil:
    # Before passing any scan over: walk the rest of the file from the first scan's data (pos) as the scans and
    # parse_segments would meet it, each scan's data up to the marker that ends it (scan_data_end), each marker
    # segment by its length. False only when the walk reaches EOI; True when some scan's data, or a segment,
    # runs to the end of the input first (truncation) or a segment is malformed: then every scan is read, so
    # that the truncation is reported, or grey-filled, exactly where a full decode finds it (a refinement scan
    # decodes differently without the scans before it, so reading only the scan that runs out is not enough).
    cdef size_t end, length
    cdef int code
    while True:
        end = scan_data_end(data, size, pos)
        if end >= size:
            return True
        code = data[end + 1]
        if code == M_EOI:
            return False
        if code == M_TEM:
            pos = end + 2
            continue
        if end + 4 > size:
            return True
        length = read_u16(data, end + 2)
        if length < 2:
            return True                # a walk that cannot go on proves nothing: read every scan
        pos = end + 2 + length
        if pos > size:
            return True


cdef int pass_over_scan(DecoderState* st, Scan* scan, const uint8_t* data, size_t size,
                        size_t* pos_io) noexcept nogil:
    # A progressive scan whose coefficients cannot show in the output (see scan_cannot_show) in a file whose
    # data does not run out (data_runs_out): move pos to the marker that ends its data and leave the state as
    # decode_progressive_scan leaves it after an intact scan. The data is not read, so damage inside it is
    # neither found nor concealed. STATUS_READ_SCAN (nothing changed) if no marker ends it, which
    # data_runs_out has ruled out: a scan is never taken as intact without the marker that ends it.
    cdef Component* comps[MAX_COMPONENTS]
    cdef int i, mcus_w, mcus_h
    cdef size_t end = scan_data_end(data, size, pos_io[0])
    if end >= size:
        return STATUS_READ_SCAN
    for i in range(scan.ncomp):
        comps[i] = &st.frame.comp[scan.comp_index[i]]
    if scan_mcus(st, scan, comps, &mcus_w, &mcus_h) != STATUS_OK:
        return STATUS_CORRUPT
    for i in range(scan.ncomp):
        comps[i].dc_pred = 0
        comps[i].scanned = 1
    st.eob_run = 0
    st.dead = 0
    # The MCU row of the scan's last MCU, which an intact scan leaves as libjpeg's last_good_iMCU_row.
    st.last_good_mcu_row = mcus_h - 1 if scan.ncomp > 1 else (mcus_h - 1) // comps[0].v
    pos_io[0] = end
    return STATUS_OK


cdef int smoothing_latches(DecoderState* st, signed char* latch) noexcept nogil:
    # libjpeg's smoothing_ok: block smoothing runs when every component has its quantization table (with the
    # ten quantizers smoothing divides by nonzero) and some DC bits, and some component's AC coefficients 1..9
    # are not known exactly. latch holds [2][MAX_COMPONENTS][10]: [0] the final coef_bits 0..9, [1] the
    # state before each component's latest scan (-1 when there was a single scan).
    cdef Frame* frame = &st.frame
    cdef Component* comp
    cdef int ci, k, useful = 0
    for ci in range(frame.ncomp):
        comp = &frame.comp[ci]
        if not comp.quant_latched:
            return 0
        for k in range(10):
            if comp.qtable[ZIGZAG_TO_NATURAL[k]] == 0:
                return 0
        if st.coef_bits[ci][0] < 0:
            return 0
        latch[ci * 10] = st.coef_bits[ci][0]
        for k in range(1, 10):
            latch[(MAX_COMPONENTS + ci) * 10 + k] = st.prev_coef_bits[ci][k] if st.scan_number > 1 else -1
            latch[ci * 10 + k] = st.coef_bits[ci][k]
            if st.coef_bits[ci][k] != 0:
                useful = 1
    return useful


cdef void smoothing_dc_grid(Frame* frame, Component* comp, int my, int by, int bx, int32_t* dc_grid) noexcept nogil:
    # The quantized DC values of the 5x5 blocks around block (bx, by), clamped at the edges exactly as libjpeg's
    # decompress_smooth_data finds its neighbours (rows counted per MCU row of the component, which in the last
    # MCU row counts only the rows inside the image).
    cdef int last = frame.mcus_y - 1, block_rows, image_row, image_rows, dy, dx, x
    cdef int rows[5]
    block_rows = comp.v if my < last else comp.blocks_h - last * comp.v
    image_row = my * block_rows + (by - my * comp.v)
    image_rows = block_rows * frame.mcus_y
    rows[2] = by
    rows[1] = by - 1 if image_row > 0 else by
    rows[0] = by - 2 if image_row > 1 else rows[1]
    rows[3] = by + 1 if image_row < image_rows - 1 else by
    rows[4] = by + 2 if image_row < image_rows - 2 else rows[3]
    for dy in range(5):
        for dx in range(5):
            x = bx + dx - 2
            if x < 0:
                x = 0
            if x > comp.blocks_w - 1:
                x = comp.blocks_w - 1
            dc_grid[dy * 5 + dx] = comp.coef[(<size_t>rows[dy] * comp.coef_blocks_w + x) * comp.coef_stride]


cdef inline void transform_mcu_row(DecoderState* st, int my, int smoothing, const signed char* latch,
                                   const int* skip_component) noexcept nogil:
    # Dequantize and inverse-transform MCU row `my` of the coefficient buffers into the planes (with the
    # quantization table each component's first scan saw), but for the components skip_component marks (NULL:
    # none). With smoothing, each block inside the image is first smoothed from its neighbours' DC values as
    # libjpeg does (_smooth.pxd), by the final coefficient state, or below the last MCU row a damaged last
    # scan reached, the one before it.
    cdef Frame* frame = &st.frame
    cdef Component* comp
    cdef int ci, bx, by, k, bs, no_ac_coded
    cdef int16_t* block
    cdef int16_t ac_bits
    cdef uint8_t* dest_row
    cdef const signed char* bits
    cdef int16_t smoothed[64]
    cdef int16_t dc_alone[64]
    cdef int32_t dc_grid[25]
    cdef HeldBlock held            # (use_avx2: this runs outside the twins, so the pair kernel is called)
    held.coef = NULL
    memset(dc_alone, 0, sizeof(dc_alone))
    for ci in range(frame.ncomp):
        if skip_component != NULL and skip_component[ci]:
            continue
        comp = &frame.comp[ci]
        bs = comp.block_size
        for by in range(my * comp.v, (my + 1) * comp.v):
            dest_row = plane_row(comp, by * bs)
            for bx in range(comp.coef_blocks_w):
                if comp.coef_stride == 64:
                    block = comp.coef + (<size_t>by * comp.coef_blocks_w + bx) * 64
                else:
                    # DC alone (block_size 1): the 1x1 transform and the DC estimate of smoothing read no AC.
                    dc_alone[0] = comp.coef[<size_t>by * comp.coef_blocks_w + bx]
                    block = dc_alone
                if smoothing and by < comp.blocks_h and bx < comp.blocks_w:
                    bits = &latch[((MAX_COMPONENTS if my > st.last_good_mcu_row else 0) + ci) * 10]
                    no_ac_coded = 1
                    for k in range(1, 10):
                        if bits[k] != -1:
                            no_ac_coded = 0
                    memcpy(smoothed, block, sizeof(smoothed))
                    smoothing_dc_grid(frame, comp, my, by, bx, dc_grid)
                    smooth_block(smoothed, dc_grid, bits, comp.qtable, no_ac_coded)
                    block = smoothed
                if bs == 1:                # 1/8 scale: the block's mean (the 1x1 transform reads the DC alone)
                    idct_1x1(block, comp.qtable, dest_row + bx, comp.stride)
                    continue
                if block == smoothed or comp.nonzero == NULL:
                    ac_bits = 0
                    for k in range(1, 64):
                        ac_bits |= block[k]
                else:
                    ac_bits = comp.nonzero[<size_t>by * comp.coef_blocks_w + bx] != 0   # Huffman scans keep it exact
                if block == smoothed:      # rewritten for the next block: not held for a pair
                    idct_scaled(bs, ac_bits == 0, block, comp.qtable, dest_row + bx * bs, comp.stride)
                elif (bs == 2 and ac_bits != 0 and comp.nonzero != NULL
                        and (comp.nonzero[<size_t>by * comp.coef_blocks_w + bx] >> 5) == 0):
                    # 1/8 scale, 4:2:0 chroma ending by zigzag 4 (see the sequential scan at 1/8, _dcskip).
                    idct_2x2_low(block, comp.qtable, dest_row + bx * bs, comp.stride)
                else:
                    idct_paired(&held, bs, ac_bits == 0, block, comp.qtable, dest_row + bx * bs, comp.stride,
                                use_avx2)
    idct_flush(&held)


cdef inline int progressive_row_height(Frame* frame) noexcept nogil:
    # Output rows per MCU row of a progressive frame.
    if frame.ncomp == 1:
        return frame.comp[0].v * frame.comp[0].block_size
    return frame.scale_bs * frame.vmax


cdef void output_progressive(DecoderState* st) noexcept nogil:
    # After the last scan: the coefficient buffers into the planes one MCU row at a time, converting the rows
    # that are complete after each, as the sequential scan does (smoothed when the low coefficients are
    # incomplete; see transform_mcu_row).
    cdef Frame* frame = &st.frame
    cdef int my, smoothing, ci
    cdef signed char latch[2 * MAX_COMPONENTS * 10]
    cdef int not_output[MAX_COMPONENTS]
    smoothing = smoothing_latches(st, latch)
    for ci in range(MAX_COMPONENTS):
        not_output[ci] = st.luma_only and ci > 0       # the Y-plane decode outputs no chroma
    for my in range(frame.mcus_y):
        transform_mcu_row(st, my, smoothing, latch, not_output)
        convert_rows(st, rows_complete(frame, progressive_row_height(frame), my, frame.mcus_y - 1, frame.out_h))


# ----------------------------------------------------------------------------------------------------------
# The entry point (with the GIL around the scans)

class _ReadEveryScan(Exception):
    """decode_image_once met a scan it had meant to pass over (STATUS_READ_ALL)."""


def decode_image(const uint8_t[::1] data, int scale=1, long long max_pixels=MAX_PIXELS, int strict=1,
                 list concealed=None, bint luma=False, int threads=1):
    """Decode a JPEG to its native layout: (H, W) grayscale, (H, W, 3) RGB or (H, W, 4) CMYK (Adobe-inverted,
    as Pillow's mode "CMYK"), ceil(W / scale) x ceil(H / scale) for scale 1, 2, 4 or 8.

    strict: 1 raises JpegError on any damage; 0 conceals the damage libjpeg conceals (with a warning) but
    raises for data that runs out; -1 conceals that too. When damage was concealed, its message (the one
    strict=1 raises) is appended to `concealed`. luma: for a YCbCr frame whose Y component has the largest
    sampling factors (every common layout), return its Y plane alone, (H, W), with the chroma only read past
    (the perceptual hash's input; a progressive file's chroma scans are not read at all unless strict == 1,
    see scan_cannot_show); other frames decode as usual. threads: up to this many threads for one
    image (restart-interval bands, the two-stage pipeline, or a progressive file's scans in groups and its
    output stage in bands; see decode_split_scan, decode_scan_groups and output_progressive_split); the
    result does not depend on it."""
    cdef Py_ssize_t noted = len(concealed) if concealed is not None else 0
    try:
        return decode_image_once(data, scale, max_pixels, strict, concealed, luma, threads, True)
    except _ReadEveryScan:
        # Damage that fooled the walk of data_runs_out: what the first attempt noted is dropped, and the
        # file is decoded as if no scan could be passed over (rare: damaged files only).
        if concealed is not None:
            del concealed[noted:]
        return decode_image_once(data, scale, max_pixels, strict, concealed, luma, threads, False)


def decode_image_once(const uint8_t[::1] data, int scale, long long max_pixels, int strict, list concealed,
                      bint luma, int threads, bint pass_over_allowed):
    """decode_image, passing over the scans that cannot show only when pass_over_allowed."""
    cdef DecoderState* st
    cdef Scan scan
    cdef int marker, status, i
    cdef size_t pos, size = data.shape[0]
    cdef dict meta = {}
    cdef uint8_t[:, ::1] out_gray
    cdef uint8_t[:, :, ::1] out_colour
    cdef const uint8_t* base
    cdef Frame* frame
    cdef bint split_done, pass_over
    global progressive_scans_passed_over
    if scale not in (1, 2, 4, 8):
        raise ValueError(f"scale must be 1, 2, 4 or 8, got {scale}")
    st = <DecoderState*>calloc(1, sizeof(DecoderState))
    if st == NULL:
        raise MemoryError()
    frame = &st.frame
    try:
        st.strict = strict == 1
        st.accept_truncated = strict < 0
        pos = parse_to_first_scan(st, data, meta, &scan, &marker)
        check_supported(st, max_pixels)
        if marker != M_SOS:
            raise JpegError(f"JPEG data is truncated: no scan (SOS) after the headers ({size} bytes)")
        if frame.ncomp == 3:
            st.transform = lossless_ycc_transform(meta) if frame.lossless else ycc_transform(st, meta)
        elif frame.ncomp == 4:
            # libjpeg's default_decompress_parms: Adobe transform 0 is CMYK; 2, and any other value (with a
            # warning), YCCK; no Adobe marker, CMYK.
            st.transform = 0 if meta.get("adobe_transform") in (None, 0) else 1
        st.luma_only = (luma and frame.ncomp == 3 and st.transform == 1 and not frame.lossless
                        and frame.comp[0].h == frame.hmax and frame.comp[0].v == frame.vmax)
        # A Huffman progressive scan whose coefficients cannot show (scan_cannot_show: AC scans of a component
        # output DC-only at scale 8, any scan of chroma the Y-plane decode drops) is passed over unread
        # (pass_over_scan); its header is applied as for any scan. Damage inside it goes unseen: no warning,
        # no libjpeg concealment (it counts as intact for block smoothing). So strict=True, which promises to
        # find any damage, reads every scan, and so does a file whose data runs out (data_runs_out), so that
        # truncation is raised or grey-filled exactly as at scale 1.
        st.pass_over_scans = (pass_over_allowed and frame.progressive and not frame.arithmetic and not st.strict
                              and (scale == 8 or st.luma_only) and not data_runs_out(&data[0], size, pos))
        if frame.lossless:
            setup_lossless_frame(st, scale)
        else:
            setup_frame(st, scale, scan.ncomp)
        if frame.ncomp == 1 or st.luma_only:
            out = np.empty((frame.out_h, frame.out_w), dtype=np.uint8)
            out_gray = out
            st.out = &out_gray[0, 0]
            st.out_stride = frame.out_w
        else:
            out = np.empty((frame.out_h, frame.out_w, 3 if frame.ncomp == 3 else 4), dtype=np.uint8)
            out_colour = out
            st.out = &out_colour[0, 0, 0]
            st.out_stride = out.shape[2] * frame.out_w
        base = &data[0]
        scans = 0
        # A sequential file whose first scan holds every component is output as that scan is decoded; libjpeg
        # (so Pillow) reads nothing after its last MCU, so what follows cannot make the decode fail.
        single_scan = not frame.progressive and scan.ncomp == frame.ncomp
        if frame.progressive and threads > 1:
            # Every scan read, in groups on several threads (see decode_scan_groups); 0 when declined, with the
            # state as it was, for the loop below to read them all as threads=1 does.
            scans = decode_scan_groups(st, &scan, base, size, &pos, &marker, threads)
        while marker == M_SOS:
            scans += 1
            if scans > MAX_SCANS:
                raise JpegError(f"JPEG data has more than {MAX_SCANS} scans (refused: each scan walks the whole image)")
            st.scan_number = scans
            if frame.lossless:
                prepare_lossless_scan(st, &scan)
            else:
                prepare_scan(st, &scan)
            split_done = threads > 1 and scans == 1 and decode_split_scan(st, &scan, base, size, &pos, threads)
            pass_over = st.pass_over_scans and scan_cannot_show(st, &scan)   # see above
            with nogil:
                if split_done:
                    status = STATUS_OK
                elif frame.lossless:
                    status = decode_lossless_scan(st, &scan, base, size, &pos)
                elif frame.arithmetic:
                    status = decode_arith_scan(st, &scan, base, size, &pos)
                elif frame.progressive:
                    status = pass_over_scan(st, &scan, base, size, &pos) if pass_over else STATUS_READ_SCAN
                    if status == STATUS_READ_SCAN:
                        pass_over = False
                        status = decode_progressive_scan(st, &scan, base, size, &pos)
                else:
                    status = decode_sequential_scan(st, &scan, base, size, &pos)
            if pass_over and status == STATUS_OK:
                progressive_scans_passed_over += 1
            if status == STATUS_READ_ALL:
                raise _ReadEveryScan()
            if status != STATUS_OK:
                raise JpegError(st.message.decode("utf-8", "replace"))
            if st.strict or not (st.accept_truncated or single_scan):
                marker = parse_segments(st, base, size, &pos, None, &scan)
            else:
                try:
                    marker = parse_segments(st, base, size, &pos, None, &scan)
                except JpegError as error:
                    note_concealed(st, str(error), not single_scan)
                    break
                if single_scan and marker == M_SOS:
                    break             # libjpeg's single-scan mode never decodes a second scan
        for i in range(frame.ncomp):
            if not frame.comp[i].scanned:
                # After EOI libjpeg gives a component no scan delivered as zeros (grey); data that ran out
                # first is truncated.
                note_concealed(st, f"JPEG data is truncated: no scan data for component {frame.comp[i].id} "
                                   f"(data ends at byte {size})", marker != M_EOI)
                break
        if frame.progressive and marker != M_EOI and not st.dead:
            check_progression_complete(st, size)
        if st.warned and concealed is not None:
            concealed.append(st.warning.decode("utf-8", "replace"))
        split_done = frame.progressive and threads > 1 and output_progressive_split(st, threads)
        with nogil:
            if split_done:
                pass
            elif frame.progressive:
                output_progressive(st)
            else:
                convert_rows(st, frame.out_h)
        return out
    finally:
        free_state(st)


cdef int note_concealed(DecoderState* st, str message, bint truncation) except -1:
    # With the GIL: damage found outside the scan loops; raise it, or keep it as the warning (must_raise).
    cdef bytes encoded = message.encode("utf-8")[:MESSAGE_SIZE - 1]
    memcpy(st.message, <const char*>encoded, len(encoded))
    st.message[len(encoded)] = 0
    if must_raise(st, truncation):
        raise JpegError(message)
    return 0


cdef int check_progression_complete(DecoderState* st, size_t size) except -1:
    # A progressive file whose data ends (no EOI) while some coefficient still lacks bits is truncated, as
    # Pillow reports it ("image file is truncated"); with EOI, or with strict=False (warned), the coefficients
    # so far are used.
    cdef Frame* frame = &st.frame
    cdef int ci, k
    for ci in range(frame.ncomp):
        for k in range(64):
            if st.coef_bits[ci][k] != 0:
                note_concealed(st, f"JPEG data is truncated: the progressive scans end at byte {size} before "
                                   f"coefficient {k} of component {frame.comp[ci].id} is complete", True)
                return 0
    return 0


cdef int prepare_scan(DecoderState* st, Scan* scan) except -1:
    # With the GIL, before a scan: the tables it needs exist, and a progressive scan's parameters are legal
    # (T.81 G.1.1.1.1, checked as libjpeg's jdphuff.c does) and follow on from the earlier scans.
    cdef Frame* frame = &st.frame
    cdef Component* comp
    cdef int i, k, last_al
    cdef bint need_dc, need_ac
    for i in range(scan.ncomp):
        comp = &frame.comp[scan.comp_index[i]]
        need_dc = not frame.progressive or (scan.ss == 0 and scan.ah == 0)
        need_ac = not frame.progressive or scan.ss > 0
        if (need_dc and comp.dc_table > 3) or (need_ac and comp.ac_table > 3):
            raise JpegError(f"invalid JPEG: scan at byte {scan.at} selects Huffman table "
                            f"{comp.dc_table}/{comp.ac_table} (0..3 allowed)")
        if comp.dc_table > 3:
            comp.dc_table = 0         # not used by this scan; keeps the table pointers in range
        if comp.ac_table > 3:
            comp.ac_table = 0
        if not frame.progressive and not frame.arithmetic:
            check_scan_tables(st, comp, True, True)
            prepare_fast_seq(st, 0, comp.dc_table)
            prepare_fast_seq(st, 1, comp.ac_table)
            if comp.block_size == 1:
                prepare_skip_table(st, comp.ac_table)
        if not comp.quant_latched:
            if not st.quant_defined[comp.quant_id]:
                raise JpegError(f"invalid JPEG: component {comp.id} uses quantization table {comp.quant_id}, "
                                "which no DQT defined before its scan")
            memcpy(comp.qtable, st.quant[comp.quant_id], sizeof(comp.qtable))
            comp.quant_latched = 1
    if not frame.progressive:
        return 0
    where = f"progressive scan at byte {scan.at}"
    if scan.ss == 0:
        if scan.se != 0:
            raise JpegError(f"invalid JPEG: {where} has Ss=0 and Se={scan.se} (a DC scan must have Se=0)")
    else:
        if scan.se < scan.ss or scan.se > 63:
            raise JpegError(f"invalid JPEG: {where} has spectral selection Ss={scan.ss}, Se={scan.se} "
                            "(an AC scan needs 1 <= Ss <= Se <= 63)")
        if scan.ncomp != 1:
            raise JpegError(f"invalid JPEG: {where} is an AC scan (Ss={scan.ss}) of {scan.ncomp} components "
                            "(AC scans code one component)")
    if scan.ah != 0 and scan.al != scan.ah - 1:
        raise JpegError(f"invalid JPEG: {where} has Ah={scan.ah}, Al={scan.al} (a refinement scan must have "
                        "Al = Ah - 1)")
    if scan.al > 13:
        raise JpegError(f"invalid JPEG: {where} has Al={scan.al} (at most 13)")
    for i in range(scan.ncomp):
        comp = &frame.comp[scan.comp_index[i]]
        if not frame.arithmetic:
            check_scan_tables(st, comp, scan.ss == 0 and scan.ah == 0, scan.ss > 0)
            if scan.ss == 0 and scan.ah == 0:
                prepare_fast_seq(st, 0, comp.dc_table)      # (prog_dc_first reads the DC through it)
        for k in range(min(scan.ss, 1), min(max(scan.se, 9), 9) + 1):
            # libjpeg's start_pass_phuff_decoder: the state before this scan, for block smoothing (0 after the
            # first scan of the file).
            st.prev_coef_bits[scan.comp_index[i]][k] = st.coef_bits[scan.comp_index[i]][k] if st.scan_number > 1 else 0
        # The progression checks of libjpeg's start_pass_phuff_decoder (and jdarith.c's), which only warn:
        # the scan is decoded as its header says. Strict mode refuses. The first warning found is the one kept.
        if scan.ss > 0 and st.coef_bits[scan.comp_index[i]][0] < 0:
            note_concealed(st, f"invalid JPEG: {where} codes AC coefficients of component {comp.id} before any "
                               "scan coded its DC coefficient", False)
        for k in range(scan.ss, scan.se + 1):
            last_al = st.coef_bits[scan.comp_index[i]][k]
            if scan.ah != 0 and last_al < 0:
                # The refined bits then land on zero coefficients.
                note_concealed(st, f"invalid JPEG: {where} refines coefficient {k} of component {comp.id}, "
                                   "which no earlier scan coded", False)
            elif last_al >= 0 and scan.ah != last_al:
                # A refinement of bits the earlier scans did not leave there, or a first scan of a coefficient
                # already coded (Ah must be the Al of the coefficient's last scan, or 0 when none coded it).
                note_concealed(st, f"invalid JPEG: {where} has Ah={scan.ah} for coefficient {k} of component "
                                   f"{comp.id}, whose last scan had Al={last_al}", False)
            st.coef_bits[scan.comp_index[i]][k] = scan.al
    return 0


cdef bint scan_cannot_show(DecoderState* st, Scan* scan) noexcept:
    # True when no coefficient of a progressive scan can reach the output: every component of the scan is
    # either chroma that the Y-plane decode never outputs, or output at one sample per block (block_size 1,
    # scale 8: the 1x1 transform is DC * Q / 8) while the scan carries AC coefficients only (Ss > 0). Block
    # smoothing reads the DC values alone (and coef_bits, which prepare_scan has set from the header), so it
    # does not need these coefficients either. Subsampled chroma at scale 8 (block_size 2) reads its AC.
    cdef int i, ci
    for i in range(scan.ncomp):
        ci = scan.comp_index[i]
        if st.luma_only and ci > 0:
            continue
        if scan.ss > 0 and st.frame.comp[ci].block_size == 1:
            continue
        return False
    return True


# Progressive scans passed over unread since import (tests).
cdef long long progressive_scans_passed_over = 0


def _progressive_scans_passed_over():
    """Tests: how many progressive scans were passed over unread (scan_cannot_show)."""
    return progressive_scans_passed_over


cdef int cached_slot(DecoderState* st, int table_class, int table_id) noexcept:
    # The TABLE_CACHE slot that still holds this table as it was copied out, or -1.
    cdef int slot = st.table_slot[table_class][table_id] - 1
    if slot >= 0 and TABLE_CACHE[slot].generation == st.table_generation[table_class][table_id]:
        return slot
    return -1


cdef int prepare_fast_seq(DecoderState* st, int table_class, int table_id) noexcept:
    # Sequential scans read every symbol through fast_seq (_huffdec), which huff_build leaves for this: the
    # progressive files' many per-scan tables never need it. Built once per table definition, and kept in
    # the table's TABLE_CACHE slot.
    cdef HuffTable* table = &st.dc_tables[table_id] if table_class == 0 else &st.ac_tables[table_id]
    cdef int slot
    if table.fast_seq_ready:
        return 0
    huff_build_fast_seq(table, table_class == 0)
    slot = cached_slot(st, table_class, table_id)
    if slot >= 0:
        memcpy(TABLE_CACHE[slot].table.fast_seq, table.fast_seq, sizeof(table.fast_seq))
        TABLE_CACHE[slot].table.fast_seq_ready = 1
    return 0


cdef int prepare_skip_table(DecoderState* st, int table_id) except -1:
    # 1/8 scale: a sequential scan reads only the DC terms of this component's blocks and passes over the AC
    # data with the AC table's skip table (_dcskip.pxd), built here once per table definition.
    global std_ac_skip_ready
    cdef HuffTable* table = &st.ac_tables[table_id]
    cdef int k, slot
    if table.skip_multi != NULL:
        return 0
    if not std_ac_skip_ready:
        huff_build(&STD_AC_FOR_SKIP[0], STD_AC_LUMA_BITS, STD_AC_LUMA_VALS, False)
        huff_build(&STD_AC_FOR_SKIP[1], STD_AC_CHROMA_BITS, STD_AC_CHROMA_VALS, False)
        for k in range(2):
            skip_table_build(&STD_AC_FOR_SKIP[k], STD_AC_SKIP[k])
        std_ac_skip_ready = 1
    for k in range(2):
        # The same code: the same largest code and first-symbol offset per length, and the same symbols.
        if (memcmp(table.maxcode, STD_AC_FOR_SKIP[k].maxcode, sizeof(table.maxcode)) == 0
                and memcmp(table.valoffset, STD_AC_FOR_SKIP[k].valoffset, sizeof(table.valoffset)) == 0
                and memcmp(table.huffval, STD_AC_FOR_SKIP[k].huffval, sizeof(table.huffval)) == 0):
            table.skip_multi = STD_AC_SKIP[k]
            return 0
    if st.ac_skip == NULL:
        st.ac_skip = <uint16_t*>malloc(4 * SKIP_SIZE * sizeof(uint16_t))
        if st.ac_skip == NULL:
            raise MemoryError()
    # Built once per table definition, and kept with the table in TABLE_CACHE while its slot holds it.
    slot = cached_slot(st, 1, table_id)
    if slot >= 0 and TABLE_CACHE[slot].skip_ready:
        memcpy(st.ac_skip + table_id * SKIP_SIZE, TABLE_CACHE[slot].skip, SKIP_SIZE * sizeof(uint16_t))
    else:
        skip_table_build(table, st.ac_skip + table_id * SKIP_SIZE)
        if slot >= 0:
            memcpy(TABLE_CACHE[slot].skip, st.ac_skip + table_id * SKIP_SIZE, SKIP_SIZE * sizeof(uint16_t))
            TABLE_CACHE[slot].skip_ready = 1
    table.skip_multi = st.ac_skip + table_id * SKIP_SIZE
    return 0


cdef int check_scan_tables(DecoderState* st, Component* comp, bint need_dc, bint need_ac) except -1:
    # Motion-JPEG frames (AVI MJPG) omit DHT and rely on the T.81 Annex K.3 tables; libjpeg-turbo falls back
    # to those for table ids 0 (luminance) and 1 (chrominance), and so do we.
    if need_dc:
        if not st.dc_tables[comp.dc_table].defined:
            if comp.dc_table == 0:
                huff_build(&st.dc_tables[0], STD_DC_LUMA_BITS, STD_DC_LUMA_VALS, True)
            elif comp.dc_table == 1:
                huff_build(&st.dc_tables[1], STD_DC_CHROMA_BITS, STD_DC_CHROMA_VALS, True)
            else:
                raise JpegError(f"invalid JPEG: component {comp.id} uses DC Huffman table {comp.dc_table}, "
                                "which no DHT defined")
        if st.dc_tables[comp.dc_table].large_dc_symbol:
            raise JpegError(f"invalid JPEG: DC Huffman table {comp.dc_table} (used by component {comp.id}) has a "
                            "symbol above 15, which no DCT scan can use")
        st.dc_tables[comp.dc_table].lenient = not st.strict
    if need_ac:
        if not st.ac_tables[comp.ac_table].defined:
            if comp.ac_table == 0:
                huff_build(&st.ac_tables[0], STD_AC_LUMA_BITS, STD_AC_LUMA_VALS, False)
            elif comp.ac_table == 1:
                huff_build(&st.ac_tables[1], STD_AC_CHROMA_BITS, STD_AC_CHROMA_VALS, False)
            else:
                raise JpegError(f"invalid JPEG: component {comp.id} uses AC Huffman table {comp.ac_table}, "
                                "which no DHT defined")
        st.ac_tables[comp.ac_table].lenient = not st.strict
    return 0


def _set_simd(enabled):
    """Tests: choose the AVX2 twin of the scan loop and row conversion (when the CPU has it) or the portable
    one. Returns whether the AVX2 twin was in use before. Not thread-safe; not part of the public API."""
    global use_avx2
    previous = bool(use_avx2)
    use_avx2 = 1 if (enabled and cy_cpu_has_avx2()) else 0
    return previous


def _idct_pair(coefs_a, quant_a, coefs_b, quant_b):
    """Tests: the two blocks through the AVX2 pair kernel, as two (8, 8) uint8 arrays; None where this CPU or
    build has no AVX2 twin."""
    cdef const int16_t[::1] ca = np.ascontiguousarray(coefs_a, dtype=np.int16).reshape(-1)
    cdef const uint16_t[::1] qa = np.ascontiguousarray(quant_a, dtype=np.uint16).reshape(-1)
    cdef const int16_t[::1] cb = np.ascontiguousarray(coefs_b, dtype=np.int16).reshape(-1)
    cdef const uint16_t[::1] qb = np.ascontiguousarray(quant_b, dtype=np.uint16).reshape(-1)
    if ca.shape[0] != 64 or qa.shape[0] != 64 or cb.shape[0] != 64 or qb.shape[0] != 64:
        raise ValueError("coefs and quant must have 64 entries")
    if not cy_cpu_has_avx2():
        return None
    out_a = np.zeros((8, 8), np.uint8)
    out_b = np.zeros((8, 8), np.uint8)
    cdef uint8_t[:, ::1] oa = out_a
    cdef uint8_t[:, ::1] ob = out_b
    if not cy_idct_islow_avx2_pair(&ca[0], &qa[0], &oa[0, 0], 8, &cb[0], &qb[0], &ob[0, 0], 8):
        return None
    return out_a, out_b


def _idct_block(coefs, quant, bint simd=True, str kernel="8x8"):
    """Tests: inverse DCT of 64 int16 natural-order coefficients with a 64-entry uint16 table. kernel "8x8",
    "4x4" and "2x2": (8, 8), (4, 4) or (2, 2) uint8 samples through the SSE2 kernel (None where the build has
    none) or the scalar one; "2x2 low": the scalar 2x2 kernel for blocks that end at zigzag position 4; "4x4
    dc" and "2x2 dc": the shortcuts for a block with only its DC set. The block is written inside a larger
    canvas, and a write outside it raises AssertionError."""
    cdef const int16_t[::1] coef_view = np.ascontiguousarray(coefs, dtype=np.int16).reshape(-1)
    cdef const uint16_t[::1] quant_view = np.ascontiguousarray(quant, dtype=np.uint16).reshape(-1)
    if coef_view.shape[0] != 64 or quant_view.shape[0] != 64:
        raise ValueError("coefs and quant must have 64 entries")
    if kernel not in ("8x8", "4x4", "4x4 dc", "2x2", "2x2 low", "2x2 dc"):
        raise ValueError(f"unknown kernel {kernel!r}")
    side = {"8x8": 8, "4x4": 4, "4x4 dc": 4}.get(kernel, 2)
    canvas = np.full((side + 2, side + 32), 0xA5, np.uint8)    # a margin of 16 bytes and a row on each side
    cdef uint8_t[:, ::1] canvas_view = canvas
    cdef uint8_t* out = &canvas_view[1, 16]
    cdef Py_ssize_t stride = canvas.shape[1]
    if kernel == "2x2":
        if not simd:
            idct_2x2_scalar(&coef_view[0], &quant_view[0], out, stride)
        elif not cy_idct_2x2_sse2(&coef_view[0], &quant_view[0], out, stride):
            return None
    elif kernel == "2x2 low":
        idct_2x2_low(&coef_view[0], &quant_view[0], out, stride)
    elif kernel == "2x2 dc":
        fill_2x2(out, stride, idct_2x2_dc_sample(coef_view[0], quant_view[0]))
    elif kernel == "4x4 dc":
        idct_4x4_dc_only(&coef_view[0], &quant_view[0], out, stride)
    elif kernel == "4x4":
        if not simd:
            idct_4x4_scalar(&coef_view[0], &quant_view[0], out, stride)
        elif not cy_idct_4x4_sse2(&coef_view[0], &quant_view[0], out, stride):
            return None
    elif not simd:
        idct_islow_scalar(&coef_view[0], &quant_view[0], out, stride)
    elif not cy_idct_islow_sse2(&coef_view[0], &quant_view[0], out, stride):
        return None
    block = canvas[1:side + 1, 16:side + 16].copy()
    canvas[1:side + 1, 16:side + 16] = 0xA5
    if (canvas != 0xA5).any():
        raise AssertionError(f"the {kernel} kernel wrote outside its block")
    return block


# ----------------------------------------------------------------------------------------------------------
# decode(threads=N) on a file with restart markers (issue 5): bands of restart intervals decoded concurrently
#
# A sequential scan is cut where T.81 lets it be cut: at a restart marker (F.1.2.3) the DC predictions start
# again from 0 (F.2.1.3.1, E.2.4) and the entropy-coded data starts on the byte after RSTn, so an interval
# decodes the same wherever it is started. One fast pass over the scan data finds every RSTn; only when they
# come in order (RST0..RST7 repeating), one per interval, followed by the marker that ends the scan, are the
# intervals shared out. Each band owns a run of whole MCU rows of the output. It starts decoding at the
# interval holding its first MCU row (or the row above it when fancy upsampling reads a sample row of context
# above, as libjpeg's h2v2/h1v2 filters do), and goes on to the row below its last when that context is
# needed there too; rows it decodes only for context are inverse-transformed only
# for the components that are upsampled vertically, and rows before them are only Huffman-decoded (the bits
# must be walked to reach the row). Each band has its own ring of three MCU rows of planes, row buffers and
# column sums (memory: the output plus a few MCU rows per thread), and converts its own output rows, so
# bands share nothing but the read-only tables and disjoint rows of the output array.
#
# Anything irregular (a lost, extra or out-of-order RSTn, scan data that ends without a marker, a bad Huffman
# code or DC value, whether it raises or the lenient tables conceal it, an interval that runs past its marker,
# no memory) makes the split decline, and the caller runs the serial scan from the start, so errors, warnings,
# messages and concealment stay exactly as they are.
# Files without restart markers (or with too few intervals) go to the pipeline below; progressive files have
# their output stage in bands (further below); a first scan that does not interleave every component, and
# frames other than 8-bit Huffman sequential ones (SOF0/SOF1), are decoded serially.

from libc.string cimport memchr

cdef enum:
    SPLIT_MIN_PIXELS = 1 << 20      # smaller frames decode on one thread (a megapixel takes about 3 ms)
    SPLIT_BANDS_PER_THREAD = 2      # more bands than threads evens out bands of unequal detail
    SPLIT_MIN_BAND_ROWS = 8         # MCU rows; each band decodes up to two rows (plus part of an interval) twice
    SPLIT_MIN_BAND_INTERVALS = 4    # a band decodes up to one interval it does not own; keep that a small part
    SPLIT_OK = 0
    SPLIT_DECLINED = 1              # an irregularity, or no memory: the serial scan runs instead
    SPLIT_GEOMETRY = 2              # too few MCU rows or intervals for bands (the pipeline may still run)


# The share of a band's time taken as proportional to its rows (inverse DCT, upsampling, colour, and the
# Huffman decoder's per-block work) rather than to its entropy-coded bytes: fitted on the two phone photos
# of the corpus's jpeg/large (8-9 MP, quality 75 re-encodes) so that bands of equal estimate take the same
# time within 10% (0.45, the pixel stages' share alone, left the first band a third slower than the last).
cdef double SPLIT_ROW_SHARE = 0.65

ctypedef struct SplitBand:
    DecoderState* shared            # read-only here: tables, geometry, the output pointer
    Scan* scan
    const uint8_t* data
    size_t size
    const size_t* interval_start    # byte offset of each restart interval's first entropy-coded byte
    int first_row, end_row          # MCU rows of the scan whose output rows this band writes
    int output_only                 # progressive: transform and convert the coefficient buffer, no bits to read
    int status


cdef int find_restart_intervals(const uint8_t* data, size_t size, size_t pos, size_t* interval_start,
                                long long intervals, size_t* end_marker_pos) noexcept nogil:
    # Record where each restart interval's data begins; SPLIT_OK only when exactly intervals - 1 RSTn markers
    # come in sequence (T.81 F.1.2.3: RST0..RST7 modulo 8) and another marker then ends the scan. Markers are
    # recognised as the bit reader recognises them (0xFF 0x00 is a stuffed 0xFF, 0xFF 0xFF is fill), so
    # end_marker_pos is where the serial scan would leave pos.
    cdef long long found = 1
    cdef int expected = 0, code
    cdef const uint8_t* hit
    interval_start[0] = pos
    while pos + 1 < size:
        hit = <const uint8_t*>memchr(data + pos, 0xFF, size - 1 - pos)
        if hit == NULL:
            break
        pos = <size_t>(hit - data)
        code = data[pos + 1]
        if code == 0x00 or code == 0xFF:
            pos += 1
            continue
        if M_RST0 <= code <= M_RST7:
            if code - M_RST0 != expected or found >= intervals:
                return SPLIT_DECLINED
            interval_start[found] = pos + 2
            found += 1
            expected = (expected + 1) & 7
            pos += 2
            continue
        if found != intervals:
            return SPLIT_DECLINED
        end_marker_pos[0] = pos
        return SPLIT_OK
    return SPLIT_DECLINED           # the data ends inside the scan: truncated, for the serial scan to report


cdef inline int band_span(SplitBand* band, int context, int mcus_h, int row_height, int out_h,
                          int* first_row, int* end_row) noexcept nogil:
    # The MCU rows a band decodes: its own and, with vertical context, one on either side within the image.
    # Returns the output row the band's conversion ends at (the last output row for the bottom band).
    first_row[0] = band.first_row - context if band.first_row > 0 else 0
    end_row[0] = band.end_row + context if band.end_row + context <= mcus_h else mcus_h
    if band.end_row == mcus_h or band.end_row * row_height > out_h:
        return out_h
    return band.end_row * row_height


cdef void decode_band(SplitBand* band) noexcept nogil:
    # One band on a worker thread: a private copy of the state with its own ring planes and row buffers.
    cdef DecoderState* st = <DecoderState*>malloc(sizeof(DecoderState))
    cdef Frame* frame
    cdef Component* comp
    cdef int i, ok = 1
    cdef size_t plane_bytes
    band.status = SPLIT_DECLINED
    if st == NULL:
        return
    memcpy(st, band.shared, sizeof(DecoderState))
    frame = &st.frame
    for i in range(MAX_COMPONENTS):
        frame.comp[i].plane = NULL     # the band's own; coef (progressive) stays shared and read-only
        frame.comp[i].row_buffer = NULL
    st.colsum = <uint16_t*>calloc(frame.mcus_x * frame.hmax * 8 + 16, sizeof(uint16_t))
    ok = st.colsum != NULL
    for i in range(frame.ncomp):
        comp = &frame.comp[i]
        comp.plane_rows = 3 * comp.v * comp.block_size
        plane_bytes = <size_t>comp.stride * comp.plane_rows
        comp.plane = <uint8_t*>malloc(plane_bytes)
        comp.row_buffer = <uint8_t*>calloc(comp.stride * comp.h_ratio + 64, 1)
        if comp.plane == NULL or comp.row_buffer == NULL:
            ok = 0
            break
        memset(comp.plane, 128, plane_bytes)
    if ok:
        if band.output_only:
            if use_avx2:
                output_band_avx2(st, band)
            else:
                output_band_portable(st, band)
        elif use_avx2:
            decode_band_avx2(st, band)
        else:
            decode_band_portable(st, band)
    for i in range(MAX_COMPONENTS):
        free(frame.comp[i].plane)
        free(frame.comp[i].row_buffer)
    free(st.colsum)
    free(st)


cdef avx2_void decode_band_avx2(DecoderState* st, SplitBand* band) noexcept nogil:
    band.status = decode_band_impl(st, band, 1)


cdef portable_void decode_band_portable(DecoderState* st, SplitBand* band) noexcept nogil:
    band.status = decode_band_impl(st, band, 0)


cdef inline int decode_band_impl(DecoderState* st, SplitBand* band, int avx2) noexcept nogil:
    # The MCU loop of decode_sequential_scan_impl for the intervals of one band, without its recovery paths:
    # any error declines (the serial scan then finds and reports it).
    cdef Frame* frame = &st.frame
    cdef DecoderState* shared = band.shared
    cdef Scan* scan = band.scan
    cdef Component* comp
    cdef Component* comps[MAX_COMPONENTS]
    cdef HuffTable* dc_tables[MAX_COMPONENTS]
    cdef HuffTable* ac_tables[MAX_COMPONENTS]
    cdef const uint16_t* quants[MAX_COMPONENTS]
    cdef int vertical_context[MAX_COMPONENTS]   # upsampled vertically: reads one sample row of the next MCU row
    cdef BitReader br
    cdef int16_t coef_slots[128]   # a block decodes into the slot a block held for pairing does not use
    cdef int16_t* coef
    cdef HeldBlock held
    cdef int i, bx, by, mx, my, mcus_w, mcus_h, result, bs, row_height, context = 0
    cdef int ri = shared.restart_interval, left_in_interval = 0
    cdef int decode_first_row, decode_end_row, y_end
    cdef long long mcu, mcu_end
    cdef bint own_row
    cdef uint8_t* dest
    for i in range(scan.ncomp):
        comp = &frame.comp[scan.comp_index[i]]
        comps[i] = comp
        dc_tables[i] = &shared.dc_tables[comp.dc_table]
        ac_tables[i] = &shared.ac_tables[comp.ac_table]
        quants[i] = &shared.quant[comp.quant_id][0]
        vertical_context[i] = needs_context(comp)
        if vertical_context[i]:
            context = 1
    if scan_mcus(st, scan, comps, &mcus_w, &mcus_h) != STATUS_OK:
        return SPLIT_DECLINED
    row_height = comps[0].block_size if frame.ncomp == 1 else frame.scale_bs * frame.vmax
    y_end = band_span(band, context, mcus_h, row_height, frame.out_h, &decode_first_row, &decode_end_row)
    st.rows_done = band.first_row * row_height
    mcu = (<long long>decode_first_row * mcus_w) // ri * ri
    mcu_end = <long long>decode_end_row * mcus_w
    held.coef = NULL
    while mcu < mcu_end:
        if left_in_interval == 0:
            # The first MCU of an interval: the reader starts on the byte after RSTn, predictions at 0.
            br_init(&br, band.data, band.interval_start[mcu // ri], band.size)
            for i in range(scan.ncomp):
                comps[i].dc_pred = 0
            left_in_interval = ri
        left_in_interval -= 1
        my = <int>(mcu // mcus_w)
        mx = <int>(mcu - <long long>my * mcus_w)
        own_row = band.first_row <= my < band.end_row
        for i in range(scan.ncomp):
            comp = comps[i]
            bs = comp.block_size
            for by in range(comp.v if scan.ncomp > 1 else 1):
                for bx in range(comp.h if scan.ncomp > 1 else 1):
                    coef = coef_slots + (64 if held.coef == coef_slots else 0)
                    if bs == 1:
                        # 1/8 scale: the DC term, then past the AC symbols (_dcskip; the skip table was made
                        # by prepare_scan). Damage it reports declines like any other.
                        result = dc_skip_block(&br, dc_tables[i], ac_tables[i], ac_tables[i].skip_multi,
                                               &comp.dc_pred, coef)
                    else:
                        cy_clear_block(coef)      # (SSE2 stores: a memset here becomes rep stos)
                        result = huff_decode_block(&br, dc_tables[i], ac_tables[i], &comp.dc_pred, coef)
                    if result < 0:
                        return SPLIT_DECLINED
                    if my < decode_first_row or not (own_row or vertical_context[i]):
                        continue        # walked for its bits only
                    if scan.ncomp > 1:
                        dest = plane_row(comp, (my * comp.v + by) * bs) + (mx * comp.h + bx) * bs
                    else:
                        dest = plane_row(comp, my * bs) + mx * bs
                    idct_paired(&held, bs, result == 1, coef, quants[i], dest, comp.stride, avx2)
        if br_overrun(&br) or br.concealed:
            return SPLIT_DECLINED      # (concealed: a bad code or DC value the lenient tables papered over)
        mcu += 1
        if mx == mcus_w - 1 and my >= band.first_row:
            idct_flush(&held)
            convert_rows_impl(st, rows_complete(frame, row_height, my, decode_end_row - 1, y_end), avx2)
    idct_flush(&held)
    return SPLIT_OK


cdef class _DecodeBand:
    """A band of a threaded decode for the shared pool; run() releases the GIL for the whole band."""
    cdef SplitBand band

    def run(self):
        with nogil:
            decode_band(&self.band)


cdef list split_rows(int mcus_h, int mcus_w, int ri, long long intervals, int context, int threads,
                     const size_t* interval_start=NULL, size_t scan_end=0):
    # Band edges in MCU rows. With the restart intervals' offsets, bands are of about equal estimated cost:
    # part of a band's time goes with the entropy-coded bytes (detailed rows have more), the rest with the
    # rows (SPLIT_ROW_SHARE); without them, bands are of equal rows. When an interval is a whole number of
    # rows, edges fall where the band (or, with vertical context, the row of context above it) starts an
    # interval, so no band decodes rows it neither owns nor needs; otherwise a band decodes at most one
    # interval's worth of MCUs before its first row.
    cdef int count, k, edge, first, row = 0, rows_per_interval = 0
    cdef double total_bytes, row_cost
    count = threads * SPLIT_BANDS_PER_THREAD
    count = min(count, mcus_h // SPLIT_MIN_BAND_ROWS, <int>(intervals // SPLIT_MIN_BAND_INTERVALS))
    if count < 2:
        return []
    if ri % mcus_w == 0:
        rows_per_interval = ri // mcus_w
    bands = []
    first = 0
    for k in range(1, count + 1):
        edge = <int>(<long long>mcus_h * k // count)
        if interval_start != NULL and k < count and scan_end > interval_start[0]:
            total_bytes = <double>(scan_end - interval_start[0])
            while row < mcus_h:
                row_cost = (SPLIT_ROW_SHARE * row / mcus_h + (1 - SPLIT_ROW_SHARE)
                            * (interval_start[(<long long>row * mcus_w) // ri] - interval_start[0]) / total_bytes)
                if row_cost * count >= k:
                    break
                row += 1
            edge = row
        if rows_per_interval > 1 and k < count:
            edge = (edge - context) // rows_per_interval * rows_per_interval + context
        if first < edge <= mcus_h and (edge < mcus_h or k == count):
            bands.append((first, edge))
            first = edge
    return bands if len(bands) >= 2 else []


cdef bint decode_split_scan(DecoderState* st, Scan* scan, const uint8_t* data, size_t size, size_t* pos_io,
                            int threads) except -1:
    # The first scan on several threads when it can be: in bands of restart intervals (see above), else in
    # the two-stage pipeline (see below). True when it is decoded and its rows converted, pos_io at the marker
    # that ends it; False when declined, for the serial scan to decode from the start.
    cdef Frame* frame = &st.frame
    cdef int i, status = SPLIT_GEOMETRY
    # Only the 8-bit Huffman sequential frames this code reads (SOF0, SOF1); any other kind of scan, whatever
    # decodes it, stays on the serial path.
    if (threads < 2 or (frame.sof != 0xC0 and frame.sof != 0xC1) or frame.precision != 8 or frame.progressive
            or scan.ncomp != frame.ncomp or st.rows_done != 0
            or <long long>frame.width * frame.height < split_min_pixels):
        return False
    if st.restart_interval:
        status = decode_bands(st, scan, data, size, pos_io, threads)
    if status == SPLIT_GEOMETRY:
        status = decode_pipelined(st, scan, data, size, pos_io, threads)
    if status != SPLIT_OK:
        return False
    for i in range(scan.ncomp):
        frame.comp[scan.comp_index[i]].scanned = 1
        frame.comp[scan.comp_index[i]].dc_pred = 0
    st.dead = 0
    st.rows_done = frame.out_h
    return True


cdef int decode_bands(DecoderState* st, Scan* scan, const uint8_t* data, size_t size, size_t* pos_io,
                      int threads) except -1:
    # SPLIT_OK: decoded in bands; SPLIT_GEOMETRY: too few rows or intervals to split (nothing was read);
    # SPLIT_DECLINED: the markers or the data are irregular (the serial scan must handle it).
    cdef Frame* frame = &st.frame
    cdef Component* comps[MAX_COMPONENTS]
    cdef int i, mcus_w, mcus_h, context = 0, status
    cdef int ri = st.restart_interval
    cdef long long intervals
    cdef size_t end_marker_pos = 0
    cdef size_t* interval_start
    cdef _DecodeBand job
    for i in range(scan.ncomp):
        comps[i] = &frame.comp[scan.comp_index[i]]
        if needs_context(comps[i]):
            context = 1
    if scan_mcus(st, scan, comps, &mcus_w, &mcus_h) != STATUS_OK:
        return SPLIT_DECLINED
    intervals = (<long long>mcus_w * mcus_h + ri - 1) // ri
    bands = split_rows(mcus_h, mcus_w, ri, intervals, context, threads)
    if not bands:
        return SPLIT_GEOMETRY
    interval_start = <size_t*>malloc(<size_t>intervals * sizeof(size_t))
    if interval_start == NULL:
        return SPLIT_DECLINED
    try:
        with nogil:
            status = find_restart_intervals(data, size, pos_io[0], interval_start, intervals, &end_marker_pos)
        if status != SPLIT_OK:
            return SPLIT_DECLINED
        bands = split_rows(mcus_h, mcus_w, ri, intervals, context, threads, interval_start, end_marker_pos)
        if not bands:
            return SPLIT_DECLINED
        jobs = []
        for first_row, end_row in bands:
            job = _DecodeBand.__new__(_DecodeBand)
            job.band.shared = st
            job.band.scan = scan
            job.band.data = data
            job.band.size = size
            job.band.interval_start = interval_start
            job.band.first_row = first_row
            job.band.end_row = end_row
            job.band.status = SPLIT_DECLINED
            jobs.append(job)
        run_shared(jobs, threads)
        for job in jobs:
            if job.band.status != SPLIT_OK:
                return SPLIT_DECLINED
    finally:
        free(interval_start)
    pos_io[0] = end_marker_pos
    global split_scans_decoded
    split_scans_decoded += 1
    return SPLIT_OK


# Scans decoded in bands since import: lets tests tell the split path from the serial fallback.
cdef long long split_scans_decoded = 0
# Frames smaller than this many pixels are decoded serially (tests lower it to split small files).
cdef long long split_min_pixels = SPLIT_MIN_PIXELS


def _set_split_min_pixels(long long pixels):
    """Tests: split frames of at least `pixels` pixels (default about a megapixel); returns the previous
    value. Not thread-safe; not part of the public API."""
    global split_min_pixels
    previous = split_min_pixels
    split_min_pixels = pixels
    return previous


def _split_scans_decoded():
    """Tests: how many scans were decoded in restart-interval bands (decode threads=N) since import."""
    return split_scans_decoded


# ----------------------------------------------------------------------------------------------------------
# decode(threads=N) on a file without restart markers: a two-stage pipeline (issue 5)
#
# Without restart markers the entropy-coded data can only be read from its start (every block's DC term is
# coded against the one before, T.81 F.1.2.1), so the scan cannot be cut into bands. It can be cut into
# stages: the calling thread Huffman-decodes MCU rows into a small ring of quantized coefficient rows, and a
# worker of the pool inverse-transforms each row into the planes, upsamples and colour-converts it, one row
# behind, exactly as the serial scan does after decoding a row. The two meet under one lock and condition
# variable (_sync.h), once per MCU row. Memory: PIPE_RING_ROWS MCU rows of coefficients (2 bytes each) besides
# the serial scan's own planes. Rows are converted strictly in order by whichever thread claims the next one
# (the `converting` flag): the worker normally, but the reading thread too when the ring is full and no row is
# being converted (the worker has not started: the pool is busy with other decodes) and once it has read the
# last row, so the decode never waits for a pool worker to become free. The reading stage also clears each
# ring block before it decodes into it (only the DC of a block that was DC-only): that work sits better on
# its side, which is the shorter one (about 8.5 ms against 9.5 ms of an 8 MP decode, 8.0 against 11.4 when
# the converting stage cleared whole rows).
# Also used when a file's restart intervals are too long or too few for bands;
# restart markers are then followed in the stage that reads the bits, and any irregularity there (a marker
# out of sequence, a bad code, data that runs out) stops both stages and declines, as the bands do.

from cyjpeg._sync cimport (cy_sync, cy_sync_init, cy_sync_destroy, cy_sync_lock, cy_sync_unlock, cy_sync_wait,
                           cy_sync_wake_all)

cdef enum:
    PIPE_RING_ROWS = 4              # MCU rows of coefficients the reading stage may run ahead


ctypedef struct Pipeline:
    DecoderState* st                # the serial scan's state: the converting stage uses its planes and buffers
    Scan* scan
    int mcus_w, mcus_h
    Py_ssize_t blocks_per_row       # blocks of one MCU row, all components, in decoding order
    int16_t* coef_ring              # PIPE_RING_ROWS x blocks_per_row x 64 quantized coefficients
    uint8_t* dc_only_ring           # per block: 1 when no AC coefficient is set
    cy_sync sync
    int rows_read                   # MCU rows whose coefficients are in the ring (under sync)
    int rows_converted              # MCU rows transformed and converted, in order (under sync)
    int converting                  # a thread is converting row rows_converted (under sync)
    int stop                        # the reading stage gave up: the converting stage returns (under sync)


cdef int pipeline_read(Pipeline* pipe, const uint8_t* data, size_t size, size_t* pos_io) noexcept nogil:
    cdef int status = SPLIT_DECLINED
    if use_avx2:
        pipeline_read_avx2(pipe, data, size, pos_io, &status)
    else:
        pipeline_read_portable(pipe, data, size, pos_io, &status)
    return status


cdef avx2_void pipeline_read_avx2(Pipeline* pipe, const uint8_t* data, size_t size, size_t* pos_io,
                                  int* status) noexcept nogil:
    status[0] = pipeline_read_impl(pipe, data, size, pos_io, 1)


cdef portable_void pipeline_read_portable(Pipeline* pipe, const uint8_t* data, size_t size, size_t* pos_io,
                                          int* status) noexcept nogil:
    status[0] = pipeline_read_impl(pipe, data, size, pos_io, 0)


cdef inline int pipeline_stop(Pipeline* pipe) noexcept nogil:
    cy_sync_lock(&pipe.sync)
    pipe.stop = 1
    cy_sync_wake_all(&pipe.sync)
    cy_sync_unlock(&pipe.sync)
    return SPLIT_DECLINED


cdef inline int pipeline_read_impl(Pipeline* pipe, const uint8_t* data, size_t size, size_t* pos_io,
                                   int avx2) noexcept nogil:
    # Stage one, on the calling thread: the Huffman half of decode_sequential_scan_impl, into the ring. The
    # DC predictions are kept here (not in the components, which the other stage reads). It converts rows
    # itself when the ring is full and nobody else is converting, and helps convert after the last row.
    cdef DecoderState* st = pipe.st
    cdef Scan* scan = pipe.scan
    cdef Component* comp
    cdef HuffTable* dc_tables[MAX_COMPONENTS]
    cdef HuffTable* ac_tables[MAX_COMPONENTS]
    cdef int dc_pred[MAX_COMPONENTS]
    cdef int blocks_h[MAX_COMPONENTS]
    cdef int blocks_v[MAX_COMPONENTS]
    cdef int block_size[MAX_COMPONENTS]
    cdef BitReader br
    cdef int16_t* coef
    cdef uint8_t* dc_only
    cdef int i, bx, by, mx, my, result, stopped, expected_rst = 0
    cdef int ri = st.restart_interval, left_in_interval = st.restart_interval
    for i in range(scan.ncomp):
        comp = &st.frame.comp[scan.comp_index[i]]
        dc_tables[i] = &st.dc_tables[comp.dc_table]
        ac_tables[i] = &st.ac_tables[comp.ac_table]
        dc_pred[i] = 0
        blocks_h[i] = comp.h if scan.ncomp > 1 else 1
        blocks_v[i] = comp.v if scan.ncomp > 1 else 1
        block_size[i] = comp.block_size
    br_init(&br, data, pos_io[0], size)
    for my in range(pipe.mcus_h):
        cy_sync_lock(&pipe.sync)
        while my - pipe.rows_converted >= PIPE_RING_ROWS and not pipe.stop:
            if pipe.converting:
                cy_sync_wait(&pipe.sync)
            else:
                pipeline_convert_claimed(pipe, avx2)
        stopped = pipe.stop
        cy_sync_unlock(&pipe.sync)
        if stopped:
            return SPLIT_DECLINED
        coef = pipe.coef_ring + (my % PIPE_RING_ROWS) * pipe.blocks_per_row * 64
        dc_only = pipe.dc_only_ring + (my % PIPE_RING_ROWS) * pipe.blocks_per_row
        for mx in range(pipe.mcus_w):
            if ri:
                if left_in_interval == 0:
                    # T.81 F.1.2.3: the expected RSTn (after any bytes that are not a marker, as restart()
                    # skips them); anything else is for the serial scan's resynchronisation.
                    br_reset_bits(&br)
                    if not br.stopped:
                        br_find_marker(&br)
                    if br.marker != M_RST0 + expected_rst:
                        return pipeline_stop(pipe)
                    br.pos = br.marker_pos + 2
                    br.stopped = 0
                    br.marker = 0
                    expected_rst = (expected_rst + 1) & 7
                    for i in range(scan.ncomp):
                        dc_pred[i] = 0
                    left_in_interval = ri
                left_in_interval -= 1
            for i in range(scan.ncomp):
                for by in range(blocks_v[i]):
                    for bx in range(blocks_h[i]):
                        # Zero what the row PIPE_RING_ROWS back left in this block (the converting stage,
                        # the slower one, has transformed it): its DC alone when it was DC-only.
                        if dc_only[0]:
                            coef[0] = 0
                        else:
                            cy_clear_block(coef)
                        if block_size[i] == 1:
                            result = dc_skip_block(&br, dc_tables[i], ac_tables[i], ac_tables[i].skip_multi,
                                                   &dc_pred[i], coef)
                        else:
                            result = huff_decode_block(&br, dc_tables[i], ac_tables[i], &dc_pred[i], coef)
                        if result < 0:
                            return pipeline_stop(pipe)
                        dc_only[0] = result == 1
                        coef += 64
                        dc_only += 1
            if br_overrun(&br) or br.concealed:
                return pipeline_stop(pipe)
        cy_sync_lock(&pipe.sync)
        pipe.rows_read = my + 1
        cy_sync_wake_all(&pipe.sync)
        cy_sync_unlock(&pipe.sync)
    if not br.stopped:
        br_find_marker(&br)
    pos_io[0] = br.marker_pos
    pipeline_convert_impl(pipe, avx2)
    return SPLIT_OK


cdef void pipeline_convert(Pipeline* pipe) noexcept nogil:
    if use_avx2:
        pipeline_convert_avx2(pipe)
    else:
        pipeline_convert_portable(pipe)


cdef avx2_void pipeline_convert_avx2(Pipeline* pipe) noexcept nogil:
    pipeline_convert_impl(pipe, 1)


cdef portable_void pipeline_convert_portable(Pipeline* pipe) noexcept nogil:
    pipeline_convert_impl(pipe, 0)


cdef inline void pipeline_convert_impl(Pipeline* pipe, int avx2) noexcept nogil:
    # Stage two: claim and convert the next row whenever it is in the ring and nobody is converting, until
    # every row is converted or the reading stage stops.
    cy_sync_lock(&pipe.sync)
    while True:
        while (not pipe.stop and pipe.rows_converted < pipe.mcus_h
               and (pipe.converting or pipe.rows_read <= pipe.rows_converted)):
            cy_sync_wait(&pipe.sync)
        if pipe.stop or pipe.rows_converted >= pipe.mcus_h:
            break
        pipeline_convert_claimed(pipe, avx2)
    cy_sync_unlock(&pipe.sync)


cdef inline void pipeline_convert_claimed(Pipeline* pipe, int avx2) noexcept nogil:
    # Called with the lock held, when row rows_converted is in the ring and nobody is converting: claims it,
    # converts it with the lock released, and returns with the lock held again.
    cdef int my = pipe.rows_converted
    pipe.converting = 1
    cy_sync_unlock(&pipe.sync)
    pipeline_convert_row(pipe, my, avx2)
    cy_sync_lock(&pipe.sync)
    pipe.converting = 0
    pipe.rows_converted = my + 1
    cy_sync_wake_all(&pipe.sync)


cdef inline void pipeline_convert_row(Pipeline* pipe, int my, int avx2) noexcept nogil:
    # The rest of decode_sequential_scan_impl for MCU row `my`: inverse transforms from the ring into the
    # planes, then the output rows that are complete.
    cdef DecoderState* st = pipe.st
    cdef Frame* frame = &st.frame
    cdef Scan* scan = pipe.scan
    cdef Component* comp
    cdef const int16_t* coef = pipe.coef_ring + (my % PIPE_RING_ROWS) * pipe.blocks_per_row * 64
    cdef const uint8_t* dc_only = pipe.dc_only_ring + (my % PIPE_RING_ROWS) * pipe.blocks_per_row
    cdef uint8_t* dest
    cdef HeldBlock held
    cdef int i, bx, by, mx, bs
    held.coef = NULL
    for mx in range(pipe.mcus_w):
        for i in range(scan.ncomp):
            comp = &frame.comp[scan.comp_index[i]]
            bs = comp.block_size
            for by in range(comp.v if scan.ncomp > 1 else 1):
                for bx in range(comp.h if scan.ncomp > 1 else 1):
                    if scan.ncomp > 1:
                        dest = plane_row(comp, (my * comp.v + by) * bs) + (mx * comp.h + bx) * bs
                    else:
                        dest = plane_row(comp, my * bs) + mx * bs
                    idct_paired(&held, bs, dc_only[0], coef, &st.quant[comp.quant_id][0], dest, comp.stride, avx2)
                    coef += 64
                    dc_only += 1
    idct_flush(&held)
    convert_rows_impl(st, rows_complete(frame, frame.comp[scan.comp_index[0]].block_size, my, pipe.mcus_h - 1,
                                        frame.out_h), avx2)


cdef class _PipelineStage:
    """The converting stage of a pipelined decode, for the pool; run() releases the GIL throughout."""
    cdef Pipeline* pipe

    def run(self):
        with nogil:
            pipeline_convert(self.pipe)


cdef int decode_pipelined(DecoderState* st, Scan* scan, const uint8_t* data, size_t size, size_t* pos_io,
                          int threads) except -1:
    # SPLIT_OK when the scan is decoded and converted; SPLIT_DECLINED (nothing changed that the serial scan
    # does not set again) otherwise.
    cdef Pipeline* pipe
    cdef Component* comps[MAX_COMPONENTS]
    cdef int i, status = SPLIT_DECLINED, blocks_per_mcu = 0
    cdef size_t end_pos = pos_io[0]
    cdef _PipelineStage stage
    for i in range(scan.ncomp):
        comps[i] = &st.frame.comp[scan.comp_index[i]]
        blocks_per_mcu += comps[i].h * comps[i].v if scan.ncomp > 1 else 1
    pipe = <Pipeline*>calloc(1, sizeof(Pipeline))
    if pipe == NULL:
        return SPLIT_DECLINED
    if scan_mcus(st, scan, comps, &pipe.mcus_w, &pipe.mcus_h) != STATUS_OK or cy_sync_init(&pipe.sync) != 0:
        free(pipe)
        return SPLIT_DECLINED
    pipe.st = st
    pipe.scan = scan
    pipe.blocks_per_row = <Py_ssize_t>pipe.mcus_w * blocks_per_mcu
    pipe.coef_ring = <int16_t*>calloc(<size_t>PIPE_RING_ROWS * pipe.blocks_per_row * 64, sizeof(int16_t))
    pipe.dc_only_ring = <uint8_t*>calloc(<size_t>PIPE_RING_ROWS * pipe.blocks_per_row, 1)
    try:
        if pipe.coef_ring == NULL or pipe.dc_only_ring == NULL:
            return SPLIT_DECLINED
        stage = _PipelineStage.__new__(_PipelineStage)
        stage.pipe = pipe
        from cyjpeg._encoder import band_pool, JobGate
        gate = JobGate()
        status = SPLIT_DECLINED
        try:
            converting = band_pool(threads - 1).submit(gate.run, stage)
            with nogil:
                status = pipeline_read(pipe, data, size, &end_pos)
        finally:
            if status != SPLIT_OK:
                pipeline_stop(pipe)      # a converting stage that runs stops waiting for rows
            # Not started: it never will (the gate). Running: it must be done before the ring is freed,
            # however this ended (even by an exception between the submit and the read).
            gate.close_and_wait()
        if not converting.cancel():    # not started: nothing to wait for (the reader converted every row)
            converting.result()        # the stage's own exception, if any
        if status != SPLIT_OK:
            return SPLIT_DECLINED
    finally:
        cy_sync_destroy(&pipe.sync)
        free(pipe.coef_ring)
        free(pipe.dc_only_ring)
        free(pipe)
    pos_io[0] = end_pos
    global pipelined_scans_decoded
    pipelined_scans_decoded += 1
    return SPLIT_OK


# Scans decoded by the pipeline since import (tests).
cdef long long pipelined_scans_decoded = 0


def _pipelined_scans_decoded():
    """Tests: how many scans the two-stage pipeline decoded (decode threads=N, no usable restart markers)."""
    return pipelined_scans_decoded


# ----------------------------------------------------------------------------------------------------------
# decode(threads=N) on a progressive file: the coefficient buffer is complete after the last scan, so its
# inverse transform, upsampling and colour conversion (output_progressive) run in bands of MCU rows, each
# with its own ring of planes, as the restart bands do (one MCU row of context above and below, transformed
# only for the components upsampled vertically). The scans themselves are read in groups on the threads
# (decode_scan_groups, below).

cdef avx2_void output_band_avx2(DecoderState* st, SplitBand* band) noexcept nogil:
    band.status = output_band_impl(st, band, 1)


cdef portable_void output_band_portable(DecoderState* st, SplitBand* band) noexcept nogil:
    band.status = output_band_impl(st, band, 0)


cdef inline int output_band_impl(DecoderState* st, SplitBand* band, int avx2) noexcept nogil:
    # output_progressive for the MCU rows of one band (never smoothed: output_progressive_split declines
    # files that need smoothing). Rows of context are transformed only for the components that read them.
    cdef Frame* frame = &st.frame
    cdef int outside_band[MAX_COMPONENTS]
    cdef int ci, my, context = 0, first_row, end_row, y_end
    cdef int row_height = progressive_row_height(frame)
    for ci in range(frame.ncomp):
        if needs_context(&frame.comp[ci]):
            context = 1
    y_end = band_span(band, context, frame.mcus_y, row_height, frame.out_h, &first_row, &end_row)
    st.rows_done = band.first_row * row_height
    for my in range(first_row, end_row):
        for ci in range(frame.ncomp):
            outside_band[ci] = ((st.luma_only and ci > 0)
                                or not (band.first_row <= my < band.end_row or needs_context(&frame.comp[ci])))
        transform_mcu_row(st, my, 0, NULL, outside_band)
        if my >= band.first_row:
            convert_rows_impl(st, rows_complete(frame, row_height, my, end_row - 1, y_end), avx2)
    return SPLIT_OK


cdef bint output_progressive_split(DecoderState* st, int threads) except -1:
    # True when the bands have written every output row; False (declined: a small frame, or no memory in a
    # band) leaves output_progressive to write them all.
    cdef Frame* frame = &st.frame
    cdef int ci, context = 0
    cdef signed char latch[2 * MAX_COMPONENTS * 10]
    cdef _DecodeBand job
    if threads < 2 or st.rows_done != 0 or <long long>frame.width * frame.height < split_min_pixels:
        return False
    if smoothing_latches(st, latch):
        return False    # block smoothing (scans that stopped early) stays in output_progressive
    for ci in range(frame.ncomp):
        if needs_context(&frame.comp[ci]):
            context = 1
    bands = split_rows(frame.mcus_y, frame.mcus_x, 0, <long long>frame.mcus_y * SPLIT_MIN_BAND_INTERVALS,
                       context, threads)
    if not bands:
        return False
    jobs = []
    for first_row, end_row in bands:
        job = _DecodeBand.__new__(_DecodeBand)
        job.band.shared = st
        job.band.first_row = first_row
        job.band.end_row = end_row
        job.band.output_only = 1
        job.band.status = SPLIT_DECLINED
        jobs.append(job)
    run_shared(jobs, threads)
    for job in jobs:
        if job.band.status != SPLIT_OK:
            return False
    st.rows_done = frame.out_h
    global progressive_outputs_split
    progressive_outputs_split += 1
    return True


# Progressive outputs written in bands since import (tests).
cdef long long progressive_outputs_split = 0


def _progressive_outputs_split():
    """Tests: how many progressive files had their output stage run in bands (decode threads=N)."""
    return progressive_outputs_split


# ----------------------------------------------------------------------------------------------------------
# decode(threads=N) on a Huffman progressive file: the scans themselves on several threads. Scans are separate
# bitstreams whose data is found without decoding it (scan_data_end), and two scans can run at once when they
# write different coefficients. A scan writes the DC terms (Ss = 0) or some AC terms (Ss > 0) of its
# components; all the AC scans of one component also share its nonzero map, one 64-bit word per block that a
# first scan and a refinement both rewrite, so they are kept in file order on one thread even when their bands
# are disjoint. The scans thus fall into independent groups: every DC scan (interleaved DC scans tie the
# components' DC together), and the AC scans of each component; each group is read in file order on one
# thread, the groups on as many threads as there are, largest first (Pillow's simple progression of a 4:2:0
# photo: the luma AC chain on one thread, the DC and chroma scans on the other).
#
# Exactness: the scan headers and the segments between scans are read first, in file order, on the state
# as the serial loop reads them (prepare_scan's checks and coef_bits, quantization latching, DRI), and each
# scan's Huffman tables and restart interval are copied as they are in force at its SOS (a DHT may redefine
# a table between scans). Each group decodes on its own copy of the state. Only a clean file takes this
# path: any header trouble, any data that runs out, and any scan that reports anything at all (damage
# concealed or raised, a lost restart marker, an EOB run too long, a scan ending elsewhere than where its
# data ends) throw the result away: the coefficients are zeroed, the state restored, and the serial loop reads
# the file from the first scan, so that every message and every concealed pixel comes out as with threads=1.

cdef enum:
    GROUP_MAX_SCANS = 64            # more scans than real files have (libjpeg's scripts: about 10): serial
    SCAN_UNREAD = 0
    SCAN_CLEAN = 1
    SCAN_UNCLEAN = 2


ctypedef struct ScanRecord:
    Scan scan
    size_t start, end               # the scan's entropy-coded data: first byte, and the marker that ends it
    int restart_interval            # DRI in force at the scan
    int dc_sel[MAX_COMPONENTS]      # table selectors of each scan component (after prepare_scan)
    int ac_sel[MAX_COMPONENTS]
    HuffTable* tables               # the tables in force at its SOS: a DC first scan's per scan component, an
                                    # AC scan's one AC table; NULL for a DC refinement (it reads raw bits)
    int group
    int result                      # SCAN_UNREAD, SCAN_CLEAN, SCAN_UNCLEAN
    int last_good_mcu_row           # as the scan leaves them in the state
    int dc_pred[MAX_COMPONENTS]


cdef void decode_scan_group(DecoderState* st, ScanRecord* records, int count, int group, const uint8_t* data,
                            size_t size) noexcept nogil:
    # The scans of one group in file order on st, this group's copy of the state. Stops at the first scan
    # that is not clean (the whole parallel result is then thrown away).
    cdef ScanRecord* rec
    cdef Component* comp
    cdef int k, i, status
    cdef size_t pos
    for k in range(count):
        rec = &records[k]
        if rec.group != group:
            continue
        st.restart_interval = rec.restart_interval
        for i in range(rec.scan.ncomp):
            comp = &st.frame.comp[rec.scan.comp_index[i]]
            comp.dc_table = rec.dc_sel[i]
            comp.ac_table = rec.ac_sel[i]
            if rec.scan.ss > 0:
                if i == 0:
                    memcpy(&st.ac_tables[rec.ac_sel[0]], &rec.tables[0], sizeof(HuffTable))
            elif rec.scan.ah == 0:
                memcpy(&st.dc_tables[rec.dc_sel[i]], &rec.tables[i], sizeof(HuffTable))
        st.eob_run = 0
        st.dead = 0
        st.warned = 0
        st.message[0] = 0
        pos = rec.start
        status = decode_progressive_scan(st, &rec.scan, data, size, &pos)
        if (status != STATUS_OK or st.message[0] != 0 or st.warned or st.dead or st.eob_run != 0
                or pos != rec.end):
            rec.result = SCAN_UNCLEAN
            return
        rec.result = SCAN_CLEAN
        rec.last_good_mcu_row = st.last_good_mcu_row
        for i in range(rec.scan.ncomp):
            rec.dc_pred[i] = st.frame.comp[rec.scan.comp_index[i]].dc_pred


cdef class _ScanGroup:
    """One group of progressive scans (decode_scan_groups) for the shared pool; run() releases the GIL."""
    cdef DecoderState* state
    cdef ScanRecord* records
    cdef int count, group
    cdef const uint8_t* data
    cdef size_t size

    def run(self):
        with nogil:
            decode_scan_group(self.state, self.records, self.count, self.group, self.data, self.size)


cdef int find_group(int* parent, int k) noexcept:
    while parent[k] != k:
        k = parent[k]
    return k


cdef int decode_scan_groups(DecoderState* st, Scan* scan, const uint8_t* data, size_t size, size_t* pos_io,
                            int* marker_io, int threads) except -1:
    # From the first SOS (scan, pos_io, marker_io as parse_to_first_scan leaves them): the scan count when
    # every scan is read and the state is as the serial loop leaves it (pos_io, marker_io at what follows the
    # last scan); 0 when declined, everything as it was on entry and no coefficient written.
    cdef Frame* frame = &st.frame
    cdef DecoderState* saved = NULL
    cdef ScanRecord* records = NULL
    cdef ScanRecord* rec
    cdef DecoderState** states = NULL
    cdef Component* comp
    cdef Scan saved_scan = scan[0]
    cdef size_t pos = pos_io[0]
    cdef int marker = marker_io[0]
    cdef int count = 0, k, j, i, ci, groups = 0, ntables, status
    cdef int parent[GROUP_MAX_SCANS]
    cdef int group_of[GROUP_MAX_SCANS]
    cdef bint share, decoded = False, clean = False
    cdef _ScanGroup job
    if (threads < 2 or not frame.progressive or frame.arithmetic or frame.lossless or st.pass_over_scans
            or st.warned or st.rows_done != 0 or <long long>frame.width * frame.height < split_min_pixels):
        return 0
    saved = <DecoderState*>malloc(sizeof(DecoderState))
    records = <ScanRecord*>calloc(GROUP_MAX_SCANS, sizeof(ScanRecord))
    if saved == NULL or records == NULL:
        free(saved)
        free(records)
        return 0
    memcpy(saved, st, sizeof(DecoderState))
    try:
        # 1. The headers in file order, as the serial loop reads them; any trouble declines.
        try:
            while marker == M_SOS:
                if count == GROUP_MAX_SCANS:
                    return 0
                st.scan_number = count + 1
                prepare_scan(st, scan)
                if st.warned:
                    return 0
                rec = &records[count]
                rec.scan = scan[0]
                rec.start = pos
                rec.end = scan_data_end(data, size, pos)
                if rec.end >= size:
                    return 0               # the data runs out: truncation is the serial loop's to report
                rec.restart_interval = st.restart_interval
                ntables = 0
                if scan.ss > 0:
                    ntables = 1
                elif scan.ah == 0:
                    ntables = scan.ncomp
                if ntables:
                    rec.tables = <HuffTable*>malloc(ntables * sizeof(HuffTable))
                    if rec.tables == NULL:
                        return 0
                count += 1
                for i in range(scan.ncomp):
                    comp = &frame.comp[scan.comp_index[i]]
                    rec.dc_sel[i] = comp.dc_table
                    rec.ac_sel[i] = comp.ac_table
                    if scan.ss > 0:
                        memcpy(&rec.tables[0], &st.ac_tables[comp.ac_table], sizeof(HuffTable))
                    elif scan.ah == 0:
                        memcpy(&rec.tables[i], &st.dc_tables[comp.dc_table], sizeof(HuffTable))
                pos = rec.end
                marker = parse_segments(st, data, size, &pos, None, scan)
                if st.warned:
                    return 0
        except Exception:
            return 0
        # 2. The groups: scans that share a component and are both DC or both AC scans are joined.
        for k in range(count):
            parent[k] = k
            for j in range(k):
                share = False
                if (records[j].scan.ss == 0) == (records[k].scan.ss == 0):
                    for i in range(records[k].scan.ncomp):
                        for ci in range(records[j].scan.ncomp):
                            if records[k].scan.comp_index[i] == records[j].scan.comp_index[ci]:
                                share = True
                if share:
                    parent[find_group(parent, j)] = find_group(parent, k)
        for k in range(count):
            group_of[k] = -1
        for k in range(count):
            j = find_group(parent, k)
            if group_of[j] < 0:
                group_of[j] = groups
                groups += 1
            records[k].group = group_of[j]
        if groups < 2:
            return 0
        # Largest first (the pool hands the jobs out in list order): the bytes of the group's scans.
        costs = [0] * groups
        for k in range(count):
            costs[records[k].group] += records[k].end - records[k].start
        order = sorted(range(groups), key=lambda g: -costs[g])
        states = <DecoderState**>calloc(groups, sizeof(DecoderState*))
        if states == NULL:
            return 0
        for k in range(groups):
            states[k] = <DecoderState*>malloc(sizeof(DecoderState))
            if states[k] == NULL:
                return 0
            memcpy(states[k], st, sizeof(DecoderState))
        jobs = []
        for g in order:
            job = _ScanGroup.__new__(_ScanGroup)
            job.state = states[g]
            job.records = records
            job.count = count
            job.group = g
            job.data = data
            job.size = size
            jobs.append(job)
        # 3. The scans; from here a decline must also zero what they wrote.
        decoded = True
        run_shared(jobs, threads)
        for k in range(count):
            if records[k].result != SCAN_CLEAN:
                return 0
        # As the serial loop leaves the state after these scans.
        for k in range(count):
            rec = &records[k]
            for i in range(rec.scan.ncomp):
                comp = &frame.comp[rec.scan.comp_index[i]]
                comp.scanned = 1
                comp.dc_pred = rec.dc_pred[i]
            st.last_good_mcu_row = rec.last_good_mcu_row
        st.eob_run = 0
        st.dead = 0
        clean = True
        pos_io[0] = pos
        marker_io[0] = marker
        global progressive_scans_split
        progressive_scans_split += 1
        return count
    finally:
        if not clean:
            memcpy(st, saved, sizeof(DecoderState))
            scan[0] = saved_scan
            if decoded:
                global progressive_groups_thrown_away
                progressive_groups_thrown_away += 1
                for ci in range(frame.ncomp):
                    comp = &frame.comp[ci]
                    memset(comp.coef, 0, <size_t>comp.coef_blocks_w * comp.coef_blocks_h * comp.coef_stride
                           * sizeof(int16_t))
                    if comp.nonzero != NULL:
                        memset(comp.nonzero, 0, <size_t>comp.coef_blocks_w * comp.coef_blocks_h * sizeof(uint64_t))
        if states != NULL:
            for k in range(groups):
                free(states[k])
            free(states)
        for k in range(count):
            free(records[k].tables)
        free(records)
        free(saved)


# Progressive files whose scans were read in groups on several threads since import (tests).
cdef long long progressive_scans_split = 0


# ... and whose groups' result was thrown away (a scan was not clean) for the serial loop to read them (tests).
cdef long long progressive_groups_thrown_away = 0


def _progressive_scans_split():
    """Tests: how many progressive files had their scans read on several threads (decode threads=N)."""
    return progressive_scans_split


def _progressive_groups_thrown_away():
    """Tests: how many times the scans read on several threads were not all clean and were read again serially."""
    return progressive_groups_thrown_away


# The scan loops of arithmetic-coded frames, and of lossless ones.
include "_decoder_arith.pxi"
include "_decoder_lossless.pxi"
