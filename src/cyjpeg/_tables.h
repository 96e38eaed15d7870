/* Constant tables from ITU T.81 shared by the encoder and the decoder.
 *
 * Facts typed in from the specification: the zigzag scan order (Figure A.6), the example quantization
 * tables (Annex K, Tables K.1 and K.2, in natural row-major order) and the typical Huffman tables
 * (Annex K.3, Tables K.3 to K.6, as BITS counts per code length 1..16 and HUFFVAL symbols), and the
 * arithmetic decoder's probability estimation state machine (Table D.2).
 * Included by the Cython modules through `cdef extern from "_tables.h"`; `static` keeps one private copy
 * per extension module, which is what a constant table wants.
 */
#ifndef CYJPEG_TABLES_H
#define CYJPEG_TABLES_H

#include <stdint.h>

/* ZIGZAG_TO_NATURAL[k] is the row-major index of the k-th coefficient in zigzag order (T.81 Figure A.6).
 * Sixteen trailing entries of 63 let a decoder index with a corrupt run length past 63 safely. */
static const uint8_t ZIGZAG_TO_NATURAL[64 + 16] = {
     0,  1,  8, 16,  9,  2,  3, 10,
    17, 24, 32, 25, 18, 11,  4,  5,
    12, 19, 26, 33, 40, 48, 41, 34,
    27, 20, 13,  6,  7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36,
    29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46,
    53, 60, 61, 54, 47, 55, 62, 63,
    63, 63, 63, 63, 63, 63, 63, 63,
    63, 63, 63, 63, 63, 63, 63, 63,
};

/* Table K.1: luminance quantization, natural order. */
static const uint8_t STD_LUMA_QUANT[64] = {
    16,  11,  10,  16,  24,  40,  51,  61,
    12,  12,  14,  19,  26,  58,  60,  55,
    14,  13,  16,  24,  40,  57,  69,  56,
    14,  17,  22,  29,  51,  87,  80,  62,
    18,  22,  37,  56,  68, 109, 103,  77,
    24,  35,  55,  64,  81, 104, 113,  92,
    49,  64,  78,  87, 103, 121, 120, 101,
    72,  92,  95,  98, 112, 100, 103,  99,
};

/* Table K.2: chrominance quantization, natural order. */
static const uint8_t STD_CHROMA_QUANT[64] = {
    17, 18, 24, 47, 99, 99, 99, 99,
    18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
};

/* Table K.3: luminance DC differences. BITS[i] = number of codes of length i+1. */
static const uint8_t STD_DC_LUMA_BITS[16] = {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t STD_DC_LUMA_VALS[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

/* Table K.4: chrominance DC differences. */
static const uint8_t STD_DC_CHROMA_BITS[16] = {0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
static const uint8_t STD_DC_CHROMA_VALS[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

/* Table K.5: luminance AC coefficients (run/size symbols). */
static const uint8_t STD_AC_LUMA_BITS[16] = {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d};
static const uint8_t STD_AC_LUMA_VALS[162] = {
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
    0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
    0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
    0xf9, 0xfa,
};

/* Table K.6: chrominance AC coefficients. */
static const uint8_t STD_AC_CHROMA_BITS[16] = {0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77};
static const uint8_t STD_AC_CHROMA_VALS[162] = {
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
    0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
    0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
    0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
    0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
    0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
    0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
    0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
    0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
    0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
    0xf9, 0xfa,
};

/* T.81 Table D.2: the QM-coder's probability estimation state machine. Per state: Qe (the LPS probability
 * estimate, 0x8000 = 0.75), the next state after an LPS and after an MPS, and whether an LPS in this state
 * exchanges the sense of the MPS (SWITCH_MPS). State 113 is not in the table: it is the fixed estimate
 * Qe = 0x5A1D (about one half) that the AC sign (F.1.4.4.2) and
 * the correction bits of progressive refinement scans (G.1.3) are decoded with, and it never moves. */
typedef struct {
    uint16_t qe;
    uint8_t next_lps;
    uint8_t next_mps;
    uint8_t switch_mps;
} QmState;

#define QM_FIXED_STATE 113

static const QmState QM_STATES[114] = {
    {0x5A1D,   1,   1, 1},   /*   0 */
    {0x2586,  14,   2, 0},   /*   1 */
    {0x1114,  16,   3, 0},   /*   2 */
    {0x080B,  18,   4, 0},   /*   3 */
    {0x03D8,  20,   5, 0},   /*   4 */
    {0x01DA,  23,   6, 0},   /*   5 */
    {0x00E5,  25,   7, 0},   /*   6 */
    {0x006F,  28,   8, 0},   /*   7 */
    {0x0036,  30,   9, 0},   /*   8 */
    {0x001A,  33,  10, 0},   /*   9 */
    {0x000D,  35,  11, 0},   /*  10 */
    {0x0006,   9,  12, 0},   /*  11 */
    {0x0003,  10,  13, 0},   /*  12 */
    {0x0001,  12,  13, 0},   /*  13 */
    {0x5A7F,  15,  15, 1},   /*  14 */
    {0x3F25,  36,  16, 0},   /*  15 */
    {0x2CF2,  38,  17, 0},   /*  16 */
    {0x207C,  39,  18, 0},   /*  17 */
    {0x17B9,  40,  19, 0},   /*  18 */
    {0x1182,  42,  20, 0},   /*  19 */
    {0x0CEF,  43,  21, 0},   /*  20 */
    {0x09A1,  45,  22, 0},   /*  21 */
    {0x072F,  46,  23, 0},   /*  22 */
    {0x055C,  48,  24, 0},   /*  23 */
    {0x0406,  49,  25, 0},   /*  24 */
    {0x0303,  51,  26, 0},   /*  25 */
    {0x0240,  52,  27, 0},   /*  26 */
    {0x01B1,  54,  28, 0},   /*  27 */
    {0x0144,  56,  29, 0},   /*  28 */
    {0x00F5,  57,  30, 0},   /*  29 */
    {0x00B7,  59,  31, 0},   /*  30 */
    {0x008A,  60,  32, 0},   /*  31 */
    {0x0068,  62,  33, 0},   /*  32 */
    {0x004E,  63,  34, 0},   /*  33 */
    {0x003B,  32,  35, 0},   /*  34 */
    {0x002C,  33,   9, 0},   /*  35 */
    {0x5AE1,  37,  37, 1},   /*  36 */
    {0x484C,  64,  38, 0},   /*  37 */
    {0x3A0D,  65,  39, 0},   /*  38 */
    {0x2EF1,  67,  40, 0},   /*  39 */
    {0x261F,  68,  41, 0},   /*  40 */
    {0x1F33,  69,  42, 0},   /*  41 */
    {0x19A8,  70,  43, 0},   /*  42 */
    {0x1518,  72,  44, 0},   /*  43 */
    {0x1177,  73,  45, 0},   /*  44 */
    {0x0E74,  74,  46, 0},   /*  45 */
    {0x0BFB,  75,  47, 0},   /*  46 */
    {0x09F8,  77,  48, 0},   /*  47 */
    {0x0861,  78,  49, 0},   /*  48 */
    {0x0706,  79,  50, 0},   /*  49 */
    {0x05CD,  48,  51, 0},   /*  50 */
    {0x04DE,  50,  52, 0},   /*  51 */
    {0x040F,  50,  53, 0},   /*  52 */
    {0x0363,  51,  54, 0},   /*  53 */
    {0x02D4,  52,  55, 0},   /*  54 */
    {0x025C,  53,  56, 0},   /*  55 */
    {0x01F8,  54,  57, 0},   /*  56 */
    {0x01A4,  55,  58, 0},   /*  57 */
    {0x0160,  56,  59, 0},   /*  58 */
    {0x0125,  57,  60, 0},   /*  59 */
    {0x00F6,  58,  61, 0},   /*  60 */
    {0x00CB,  59,  62, 0},   /*  61 */
    {0x00AB,  61,  63, 0},   /*  62 */
    {0x008F,  61,  32, 0},   /*  63 */
    {0x5B12,  65,  65, 1},   /*  64 */
    {0x4D04,  80,  66, 0},   /*  65 */
    {0x412C,  81,  67, 0},   /*  66 */
    {0x37D8,  82,  68, 0},   /*  67 */
    {0x2FE8,  83,  69, 0},   /*  68 */
    {0x293C,  84,  70, 0},   /*  69 */
    {0x2379,  86,  71, 0},   /*  70 */
    {0x1EDF,  87,  72, 0},   /*  71 */
    {0x1AA9,  87,  73, 0},   /*  72 */
    {0x174E,  72,  74, 0},   /*  73 */
    {0x1424,  72,  75, 0},   /*  74 */
    {0x119C,  74,  76, 0},   /*  75 */
    {0x0F6B,  74,  77, 0},   /*  76 */
    {0x0D51,  75,  78, 0},   /*  77 */
    {0x0BB6,  77,  79, 0},   /*  78 */
    {0x0A40,  77,  48, 0},   /*  79 */
    {0x5832,  80,  81, 1},   /*  80 */
    {0x4D1C,  88,  82, 0},   /*  81 */
    {0x438E,  89,  83, 0},   /*  82 */
    {0x3BDD,  90,  84, 0},   /*  83 */
    {0x34EE,  91,  85, 0},   /*  84 */
    {0x2EAE,  92,  86, 0},   /*  85 */
    {0x299A,  93,  87, 0},   /*  86 */
    {0x2516,  86,  71, 0},   /*  87 */
    {0x5570,  88,  89, 1},   /*  88 */
    {0x4CA9,  95,  90, 0},   /*  89 */
    {0x44D9,  96,  91, 0},   /*  90 */
    {0x3E22,  97,  92, 0},   /*  91 */
    {0x3824,  99,  93, 0},   /*  92 */
    {0x32B4,  99,  94, 0},   /*  93 */
    {0x2E17,  93,  86, 0},   /*  94 */
    {0x56A8,  95,  96, 1},   /*  95 */
    {0x4F46, 101,  97, 0},   /*  96 */
    {0x47E5, 102,  98, 0},   /*  97 */
    {0x41CF, 103,  99, 0},   /*  98 */
    {0x3C3D, 104, 100, 0},   /*  99 */
    {0x375E,  99,  93, 0},   /* 100 */
    {0x5231, 105, 102, 0},   /* 101 */
    {0x4C0F, 106, 103, 0},   /* 102 */
    {0x4639, 107, 104, 0},   /* 103 */
    {0x415E, 103,  99, 0},   /* 104 */
    {0x5627, 105, 106, 1},   /* 105 */
    {0x50E7, 108, 107, 0},   /* 106 */
    {0x4B85, 109, 103, 0},   /* 107 */
    {0x5597, 110, 109, 0},   /* 108 */
    {0x504F, 111, 107, 0},   /* 109 */
    {0x5A10, 110, 111, 1},   /* 110 */
    {0x5522, 112, 109, 0},   /* 111 */
    {0x59EB, 112, 111, 1},   /* 112 */
    {0x5A1D, 113, 113, 0},   /* 113: fixed estimate */
};

#endif
