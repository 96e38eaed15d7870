"""Metadata marker segments the encoder writes after JFIF APP0: EXIF (APP1), ICC profile (APP2), comment (COM).

The decoder's side (reading them back) is in _decoder.read_header. Segment lengths are 16-bit and count
themselves, so a segment carries at most 65533 bytes of payload (T.81 B.1.1.4).
"""
from __future__ import annotations

import struct

MAX_PAYLOAD = 65533
EXIF_PREFIX = b"Exif\x00\x00"
ICC_PREFIX = b"ICC_PROFILE\x00"
# An ICC chunk's payload is the prefix, its 1-based sequence number and the chunk count, then the data.
ICC_CHUNK = MAX_PAYLOAD - len(ICC_PREFIX) - 2


def marker_segments(icc_profile=None, exif=None, comment=None) -> bytes:
    """Complete APP1/APP2/COM segments (markers and lengths included) for the given metadata."""
    segments = []
    if exif:
        exif = _as_bytes("exif", exif)
        if not exif.startswith(EXIF_PREFIX):  # accept the bare TIFF structure too, as Pillow does
            exif = EXIF_PREFIX + exif
        if len(exif) > MAX_PAYLOAD:
            raise ValueError(f"exif is {len(exif)} bytes; one APP1 segment holds at most {MAX_PAYLOAD}")
        segments.append(_segment(0xE1, exif))
    if icc_profile:
        icc_profile = _as_bytes("icc_profile", icc_profile)
        chunks = [icc_profile[i : i + ICC_CHUNK] for i in range(0, len(icc_profile), ICC_CHUNK)]
        if len(chunks) > 255:
            raise ValueError(f"icc_profile is {len(icc_profile)} bytes; at most {255 * ICC_CHUNK} fit in APP2")
        for number, chunk in enumerate(chunks, start=1):
            segments.append(_segment(0xE2, ICC_PREFIX + bytes([number, len(chunks)]) + chunk))
    if comment:
        comment = comment.encode("utf-8") if isinstance(comment, str) else _as_bytes("comment", comment)
        if len(comment) > MAX_PAYLOAD:
            raise ValueError(f"comment is {len(comment)} bytes; one COM segment holds at most {MAX_PAYLOAD}")
        segments.append(_segment(0xFE, comment))
    return b"".join(segments)


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _as_bytes(name, value) -> bytes:
    try:
        return bytes(memoryview(value))
    except TypeError:
        raise ValueError(f"{name} must be bytes, not {type(value).__name__}") from None
