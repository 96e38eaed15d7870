# Cython view of _tables.h: the T.81 constant tables (zigzag order, Annex K quantization and Huffman tables,
# the arithmetic decoder's Table D.2).
from libc.stdint cimport uint8_t, uint16_t

cdef extern from "_tables.h":
    const uint8_t ZIGZAG_TO_NATURAL[80]
    const uint8_t STD_LUMA_QUANT[64]
    const uint8_t STD_CHROMA_QUANT[64]
    const uint8_t STD_DC_LUMA_BITS[16]
    const uint8_t STD_DC_LUMA_VALS[12]
    const uint8_t STD_DC_CHROMA_BITS[16]
    const uint8_t STD_DC_CHROMA_VALS[12]
    const uint8_t STD_AC_LUMA_BITS[16]
    const uint8_t STD_AC_LUMA_VALS[162]
    const uint8_t STD_AC_CHROMA_BITS[16]
    const uint8_t STD_AC_CHROMA_VALS[162]

    # T.81 Table D.2, the QM-coder state machine, and the extra fixed-estimate state 113.
    ctypedef struct QmState:
        uint16_t qe
        uint8_t next_lps
        uint8_t next_mps
        uint8_t switch_mps
    const QmState QM_STATES[114]
    enum: QM_FIXED_STATE
