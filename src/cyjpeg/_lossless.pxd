# Lossless JPEG (T.81 Annex H, Huffman-coded: SOF3): the two per-sample kernels.
#
# Owns: decoding one prediction difference (H.1.2.2: the Huffman-coded category SSSS 0..16 of Table H.2,
# then SSSS extra bits as for a DC difference, with category 16 meaning 32768 and no extra bits), and the
# seven predictors of Table H.1. Arithmetic is modulo 2**16 (H.1.2.1).
# Does not own: which predictor a sample uses (the first row of a scan or restart interval, and the first
# column, have their own rules: the scan loop in _decoder_lossless.pxi applies them), byte reading, or output.
from cyjpeg._bitreader cimport BitReader, br_fast_refill
from cyjpeg._huffdec cimport HuffTable, huff_decode, huff_receive_extend

cdef enum:
    LOSSLESS_BAD_CATEGORY = -8      # a difference category above 16


cdef inline int lossless_diff(BitReader* br, const HuffTable* table, int* diff) noexcept nogil:
    cdef int category
    if br.nbits < 32:
        br_fast_refill(br)
    category = huff_decode(br, table)
    if category < 0:
        return category
    if category == 0:
        diff[0] = 0
    elif category < 16:
        diff[0] = huff_receive_extend(br, category)
    elif category == 16:
        diff[0] = 32768
    else:
        return LOSSLESS_BAD_CATEGORY
    return 0


cdef inline int lossless_predict(int predictor, int left, int above, int above_left) noexcept nogil:
    # Table H.1 with Ra = left, Rb = above, Rc = above_left (all 0..65535, so nothing overflows); >> is the
    # arithmetic shift T.81 specifies.
    if predictor == 1:
        return left
    if predictor == 2:
        return above
    if predictor == 3:
        return above_left
    if predictor == 4:
        return left + above - above_left
    if predictor == 5:
        return left + ((above - above_left) >> 1)
    if predictor == 6:
        return above + ((left - above_left) >> 1)
    return (left + above) >> 1
