# The encoder's output buffer and bit writer: owns every byte of entropy-coded data.
#
# Bits accumulate in a 64-bit register; when it is full its eight bytes go out in one store unless one of
# them is 0xFF, which T.81 F.1.2.3 requires to be followed by a stuffed 0x00 byte (then they go out one by
# one). Padding at the end of a segment uses 1-bits (T.81 F.1.2.3). The buffer grows geometrically; callers
# reserve room before each MCU with `reserve`, so the writes themselves never check capacity.
# Marker segments are written with put_bytes; the writer does not know the JPEG syntax.
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.stdlib cimport realloc
from libc.string cimport memcpy

cdef extern from "_intrin.h":
    void cy_store_be64(uint8_t* dest, uint64_t x) noexcept nogil

cdef enum:
    RAW_BITS = 0x52415721   # the value of BitWriter.raw that turns stuffing off; a magic number, not 1, so
                            # that a writer set up field by field without `raw` still stuffs

cdef struct BitWriter:
    uint8_t* data        # output buffer (malloc'ed; owned by the caller's state)
    size_t size          # bytes written
    size_t capacity      # bytes allocated
    uint64_t bits        # pending bits, right-aligned
    int free_bits        # 64 - number of pending bits
    int raw              # RAW_BITS: write bits without 0xFF stuffing (a band of a threaded encode, merged
                         # later); anything else, e.g. an uninitialised field, stuffs as T.81 requires


cdef inline int reserve(BitWriter* bw, size_t extra) noexcept nogil:
    """Make room for `extra` more bytes; return 0, or -1 when memory runs out."""
    cdef size_t new_capacity
    cdef uint8_t* grown
    if bw.size + extra <= bw.capacity:
        return 0
    new_capacity = bw.capacity * 2
    if new_capacity < bw.size + extra:
        new_capacity = bw.size + extra
    grown = <uint8_t*>realloc(bw.data, new_capacity)
    if grown == NULL:
        return -1
    bw.data = grown
    bw.capacity = new_capacity
    return 0


cdef inline void put_bytes(BitWriter* bw, const uint8_t* src, size_t count) noexcept nogil:
    memcpy(bw.data + bw.size, src, count)
    bw.size += count


cdef inline void put_byte(BitWriter* bw, uint8_t value) noexcept nogil:
    bw.data[bw.size] = value
    bw.size += 1


cdef inline void put_u16(BitWriter* bw, uint32_t value) noexcept nogil:
    """Marker segment fields are big-endian 16-bit (T.81 B.1.1.4)."""
    bw.data[bw.size] = <uint8_t>(value >> 8)
    bw.data[bw.size + 1] = <uint8_t>value
    bw.size += 2


cdef inline void flush_word(BitWriter* bw, uint64_t word) noexcept nogil:
    """Write 64 entropy-coded bits, stuffing 0x00 after any 0xFF byte."""
    cdef int shift
    cdef uint8_t byte
    # A byte is 0xFF exactly when adding 1 to it carries out of its top bit while the top bit was set.
    if (word & 0x8080808080808080ULL & ~(word + 0x0101010101010101ULL)) == 0 or bw.raw == RAW_BITS:
        cy_store_be64(bw.data + bw.size, word)
        bw.size += 8
        return
    for shift in range(56, -8, -8):
        byte = <uint8_t>(word >> shift)
        bw.data[bw.size] = byte
        bw.size += 1
        if byte == 0xFF:
            bw.data[bw.size] = 0
            bw.size += 1


cdef inline void put_bits(BitWriter* bw, uint32_t code, int length) noexcept nogil:
    """Append the low `length` bits of `code` (length 0..32, no bits set above it)."""
    cdef int free_after = bw.free_bits - length
    if free_after >= 0:
        # A shift by 64 is undefined in C, but length < 64 here.
        bw.bits = (bw.bits << length) | code
        bw.free_bits = free_after
    else:
        # Fill the register with the top bits of `code`, flush it, and keep the rest. The bits of `code`
        # already flushed stay above the pending ones and are shifted out before the next flush.
        # (-free_after is up to 32 when the register was full: shift in 64 bits, where that is defined.)
        flush_word(bw, (bw.bits << bw.free_bits) | ((<uint64_t>code) >> (-free_after)))
        bw.bits = code
        bw.free_bits = free_after + 64


cdef inline void flush_bits(BitWriter* bw) noexcept nogil:
    """Pad the pending bits to a byte boundary with 1-bits and write them (before a marker)."""
    cdef int pending = 64 - bw.free_bits
    cdef int pad = (8 - (pending & 7)) & 7
    cdef uint8_t byte
    if pad:
        put_bits(bw, (1u << pad) - 1, pad)
        pending = 64 - bw.free_bits
    while pending > 0:
        pending -= 8
        byte = <uint8_t>(bw.bits >> pending)
        bw.data[bw.size] = byte
        bw.size += 1
        if byte == 0xFF:
            bw.data[bw.size] = 0
            bw.size += 1
    bw.bits = 0
    bw.free_bits = 64
