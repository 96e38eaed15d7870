# The decoder's bit reader for entropy-coded segments (T.81 F.2.2.5 and F.1.2.3).
#
# Owns: reading the entropy-coded bytes MSB first into a 64-bit accumulator, removing the 0x00 stuffed after
# every 0xFF data byte, stopping at the first marker (or the end of the data) and feeding zero bits after it,
# and counting those zero bits so the caller can tell a complete scan from a truncated one.
# Does not own: what a marker means (the scan loop in _decoder.pyx handles RSTn and the end of a scan).
# Every read is bounds-checked against `end`; nothing here can read outside the caller's buffer.
from libc.stdint cimport uint8_t, uint64_t


ctypedef struct BitReader:
    const uint8_t* data
    size_t pos           # next byte of entropy-coded data to load
    size_t end           # one past the last byte of the input
    uint64_t acc         # bits not yet consumed, left-aligned: the next bit is bit 63
    int nbits            # valid bits in acc, real data plus padding zeros
    int pad_bits         # how many of the bits loaded so far were zero padding fed after the data stopped
    int stopped          # 1 once a marker or the end of the input was reached
    int marker           # the marker code that stopped the reader (e.g. 0xD0 for RST0); 0 for end of input
    size_t marker_pos    # offset of the marker's 0xFF (or `end` when the input ran out)
    int concealed        # damage the entropy decoder concealed (a HUFF_* status), 0 while there is none;
    size_t concealed_pos # with the byte offset where it was found (see br_byte_position)


cdef inline void br_init(BitReader* br, const uint8_t* data, size_t pos, size_t end) noexcept nogil:
    br.data = data
    br.pos = pos
    br.end = end
    br.acc = 0
    br.nbits = 0
    br.pad_bits = 0
    br.stopped = 0
    br.marker = 0
    br.marker_pos = end
    br.concealed = 0
    br.concealed_pos = 0


cdef inline size_t br_byte_position(BitReader* br) noexcept nogil:
    # Approximate byte offset of the next unread bit (stuffed bytes make it approximate), for messages.
    cdef int real_bytes = (br.nbits - br.pad_bits) >> 3
    if real_bytes < 0:
        real_bytes = 0
    return br.pos - <size_t>real_bytes if br.pos >= <size_t>real_bytes else 0


cdef inline void br_note_concealed(BitReader* br, int status) noexcept nogil:
    # The entropy decoder has concealed damage (strict=False/None, as libjpeg does with a warning): keep the
    # first for the scan loop to report.
    if br.concealed == 0:
        br.concealed = status
        br.concealed_pos = br_byte_position(br)


cdef inline void br_find_marker(BitReader* br) noexcept nogil:
    # Stop at the next marker at or after pos, skipping bytes that are not a marker (libjpeg skips such
    # garbage with a warning; so do we). 0xFF 0x00 is stuffed data, 0xFF 0xFF is fill (T.81 B.1.1.2).
    cdef size_t p = br.pos
    while p + 1 < br.end:
        if br.data[p] == 0xFF and br.data[p + 1] != 0x00 and br.data[p + 1] != 0xFF:
            br.stopped = 1
            br.marker = br.data[p + 1]
            br.marker_pos = p
            br.pos = p
            return
        p += 1
    br.stopped = 1
    br.marker = 0
    br.marker_pos = br.end
    br.pos = br.end


cdef inline void br_refill(BitReader* br) noexcept nogil:
    # Top the accumulator up to at least 57 bits. After a marker, zeros are fed (as libjpeg does) and counted
    # in pad_bits: a decoder that consumes them has run past the end of the scan data.
    cdef uint64_t byte
    cdef size_t q
    while br.nbits <= 56:
        if br.stopped:
            br.pad_bits += 64 - br.nbits
            br.nbits = 64
            return
        if br.pos >= br.end:
            br.stopped = 1
            br.marker = 0
            br.marker_pos = br.end
            continue
        byte = br.data[br.pos]
        if byte == 0xFF:
            # T.81 F.1.2.3: a 0xFF data byte is followed by a stuffed 0x00; extra 0xFF bytes are fill.
            q = br.pos + 1
            while q < br.end and br.data[q] == 0xFF:
                q += 1
            if q >= br.end:
                br.stopped = 1
                br.marker = 0
                br.marker_pos = br.end
                br.pos = br.end
                continue
            if br.data[q] != 0x00:
                br.stopped = 1
                br.marker = br.data[q]
                br.marker_pos = q - 1
                br.pos = q - 1
                continue
            br.pos = q + 1
        else:
            br.pos += 1
        br.acc |= byte << (56 - br.nbits)
        br.nbits += 8


cdef inline void br_fast_refill(BitReader* br) noexcept nogil:
    # The common case: when the next 8 bytes hold no 0xFF, load whole bytes without looking at each one.
    cdef const uint8_t* p
    cdef int take
    cdef uint64_t word
    if br.nbits <= 56 and br.pos + 8 <= br.end and not br.stopped:
        p = br.data + br.pos
        word = ((<uint64_t>p[0] << 56) | (<uint64_t>p[1] << 48) | (<uint64_t>p[2] << 40) | (<uint64_t>p[3] << 32)
                | (<uint64_t>p[4] << 24) | (<uint64_t>p[5] << 16) | (<uint64_t>p[6] << 8) | <uint64_t>p[7])
        # A byte of `word` is 0xFF exactly when that byte of ~word is zero (the has-zero-byte test).
        if ((~word - 0x0101010101010101ULL) & word & 0x8080808080808080ULL) == 0:
            take = (64 - br.nbits) >> 3          # whole bytes that fit: 1..8
            word = (word >> (64 - 8 * take)) << (64 - 8 * take)
            br.acc |= word >> br.nbits
            br.nbits += 8 * take
            br.pos += take
            return
    br_refill(br)


cdef inline uint64_t br_peek(BitReader* br, int count) noexcept nogil:
    # The next `count` bits (1..32) as an unsigned integer; the caller has refilled.
    return br.acc >> (64 - count)


cdef inline void br_skip(BitReader* br, int count) noexcept nogil:
    br.acc <<= count
    br.nbits -= count


cdef inline int br_overrun(BitReader* br) noexcept nogil:
    # True when more bits were consumed than the scan data held (the padding zeros were reached).
    return br.nbits < br.pad_bits


cdef inline void br_reset_bits(BitReader* br) noexcept nogil:
    # At a restart marker the bits left over are the 1-padding of the last byte (T.81 F.1.2.3). The reader
    # never loads past a marker, so nothing after the marker is lost by dropping them.
    br.acc = 0
    br.nbits = 0
    br.pad_bits = 0
