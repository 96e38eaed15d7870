# Marker segments the encoders write before the scan data (T.81 B.2), shared by the baseline writer
# (_encoder) and the size path's writer (_progressive), so both produce the same header bytes.
# Callers reserve room in the writer first; these only append.
from libc.stdint cimport uint8_t, uint16_t, uint32_t

from cyjpeg._bitwriter cimport BitWriter, put_bytes, put_byte, put_u16
from cyjpeg._huffenc cimport HuffSpec
from cyjpeg._tables cimport ZIGZAG_TO_NATURAL


cdef inline void put_soi_jfif(BitWriter* w) noexcept nogil:
    """SOI, then APP0 JFIF 1.01: density 1:1 with no unit, no thumbnail (what Pillow writes by default)."""
    put_u16(w, 0xFFD8)
    put_u16(w, 0xFFE0)
    put_u16(w, 16)
    put_bytes(w, <const uint8_t*>b"JFIF\0", 5)
    put_byte(w, 1)                     # version 1.01
    put_byte(w, 1)
    put_byte(w, 0)                     # density unit: none (aspect ratio only)
    put_u16(w, 1)
    put_u16(w, 1)
    put_byte(w, 0)                     # no thumbnail
    put_byte(w, 0)


cdef inline void put_dqt(BitWriter* w, const uint16_t* qtables, int ntables) noexcept nogil:
    """DQT (T.81 B.2.4.1): one segment per table, 8-bit entries in zigzag order (tables in natural order)."""
    cdef int t, k
    for t in range(ntables):
        put_u16(w, 0xFFDB)
        put_u16(w, 2 + 1 + 64)
        put_byte(w, <uint8_t>t)
        for k in range(64):
            put_byte(w, <uint8_t>qtables[t * 64 + ZIGZAG_TO_NATURAL[k]])


cdef inline void put_sof(BitWriter* w, int marker, int width, int height, int ncomp,
                         const uint8_t* sampling, const uint8_t* qtable_ids) noexcept nogil:
    """SOFn (T.81 B.2.2), 8-bit samples; components 1, 2, 3 = Y, Cb, Cr as JFIF names them.
    sampling[c] = (h << 4) | v; qtable_ids[c] = the DQT slot of component c."""
    cdef int c
    put_u16(w, <uint32_t>marker)
    put_u16(w, <uint32_t>(8 + 3 * ncomp))
    put_byte(w, 8)
    put_u16(w, <uint32_t>height)
    put_u16(w, <uint32_t>width)
    put_byte(w, <uint8_t>ncomp)
    for c in range(ncomp):
        put_byte(w, <uint8_t>(c + 1))
        put_byte(w, sampling[c])
        put_byte(w, qtable_ids[c])


cdef inline void put_dht(BitWriter* w, int table_class, int slot, const HuffSpec* spec) noexcept nogil:
    """DHT (T.81 B.2.4.2): one table; class 0 is DC, 1 is AC."""
    put_u16(w, 0xFFC4)
    put_u16(w, <uint32_t>(2 + 1 + 16 + spec.count))
    put_byte(w, <uint8_t>((table_class << 4) | slot))
    put_bytes(w, spec.bits, 16)
    put_bytes(w, spec.values, spec.count)
