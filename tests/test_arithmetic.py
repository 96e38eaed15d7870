"""Arithmetic-coded JPEG (T.81 Annex D, SOF9 sequential and SOF10 progressive) against Pillow.

tests/data/arith_*.jpg were made with libjpeg-turbo 2.1.5's tools from a 61x45 crop of a Kodak photo
(`cjpeg -arithmetic [-progressive] [-sample 2x2|1x1] [-restart 1|2B|5B] [-scans]`, the non-interleaved one with
a three-scan script) and from corpus CMYK/YCCK files (`jpegtran -arithmetic [-progressive] -crop`): gray,
4:2:0, 4:4:4, CMYK and YCCK, sequential (one interleaved scan or one scan per component) and progressive, with
and without restart intervals. Every one must decode as Pillow (libjpeg-turbo) decodes it, at full size and
at the scales of draft(). Hand-made damage must raise JpegError with its exact message, and never crash.
"""
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cyjpeg
from cyjpeg import JpegError, UnsupportedJpegError

DATA = Path(__file__).resolve().parent / "data"
FILES = sorted(DATA.glob("arith_*.jpg"))


def pillow(data, scale=1):
    image = Image.open(io.BytesIO(data))
    if scale > 1:
        width, height = image.size
        image.draft(image.mode, (width // scale, height // scale))
        assert image.size == (-(-width // scale), -(-height // scale))
    return np.asarray(image)


def worst_difference(ours, expected):
    assert ours.shape == expected.shape
    return int(np.abs(ours.astype(np.int16) - expected.astype(np.int16)).max())


def segment(data, code):
    """Offset of the first 0xFF<code> marker among the header segments."""
    pos = 2
    while data[pos + 1] != code:
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return pos


def test_the_generated_files_cover_both_processes():
    assert len(FILES) == 10
    sofs = {path.name: (path.read_bytes().find(b"\xff\xc9") > 0, path.read_bytes().find(b"\xff\xca") > 0)
            for path in FILES}
    assert sum(seq for seq, _ in sofs.values()) == 6 and sum(prog for _, prog in sofs.values()) == 4


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
@pytest.mark.parametrize("scale", [1, 2, 4, 8])
def test_generated_files_match_pillow(path, scale):
    data = path.read_bytes()
    info = cyjpeg.info(data)
    assert info.arithmetic and info.progressive == ("prog" in path.stem)
    ours = cyjpeg.decode(data, scale=scale)
    assert worst_difference(ours, pillow(data, scale)) <= 2


def test_restart_intervals_are_present():
    # The restart handling (statistics reset, decoder restart) is only exercised if the files have RSTn.
    for name in ("arith_seq_420_rst.jpg", "arith_prog_gray_rst.jpg", "arith_prog_444_rst.jpg"):
        data = (DATA / name).read_bytes()
        assert cyjpeg.info(data).restart_interval > 0
        assert sum(data.count(bytes([0xFF, 0xD0 + n])) for n in range(8)) >= 5


@pytest.mark.parametrize("dc_bounds, kx", [(0x31, 20), (0x10, 1), (0x52, 63), (0xFF, 5), (0x00, 5)])
def test_conditioning_tables_are_used_as_pillow_uses_them(dc_bounds, kx):
    # A DAC that does not match how the data was coded (defaults L=0, U=1, Kx=5) decodes to a different but
    # well-defined picture; Pillow's is the oracle for L, U (DC categories) and Kx (AC bins) in use.
    data = (DATA / "arith_seq_444.jpg").read_bytes()
    dac = segment(data, 0xCC)
    length = int.from_bytes(data[dac + 2:dac + 4], "big")
    patched = bytearray(data)
    for pos in range(dac + 4, dac + 2 + length, 2):
        patched[pos + 1] = dc_bounds if patched[pos] >> 4 == 0 else kx
    patched = bytes(patched)
    ours = cyjpeg.decode(patched)
    assert not np.array_equal(ours, cyjpeg.decode(data))
    assert worst_difference(ours, pillow(patched)) <= 2


def test_truncated_scan_raises_and_decodes_the_rest_grey():
    data = (DATA / "arith_seq_420_rst.jpg").read_bytes()
    cut = data[:600]                                # inside the scan data, no marker after it
    with pytest.raises(JpegError, match=r"^JPEG data is truncated: scan data ends at byte 600 \(in MCU 6 of 12\)$"):
        cyjpeg.decode(cut)
    full = cyjpeg.decode(data)
    partial = cyjpeg.decode(cut, strict=False)
    assert partial.shape == full.shape
    # 4:2:0 MCUs of 16x16 pixels, 4 per row: MCU row 0 came before the cut (its last pixel row may differ, as
    # fancy upsampling reads the chroma row below it); MCU row 2 is all grey, but for the chroma row above it.
    np.testing.assert_array_equal(partial[:15], full[:15])
    assert np.all(partial[37:] == 128)


def test_magnitude_category_above_15():
    # All-ones decisions ask for ever larger magnitude categories.
    data = (DATA / "arith_seq_gray.jpg").read_bytes()
    sos = segment(data, 0xDA)
    start = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
    damaged = data[:start] + b"\xff\x00" * 300 + b"\xff\xd9"
    message = (r"^JPEG data is corrupt: arithmetic-coded value with a magnitude "
               r"category above 15 near byte 130 \(component 1, MCU 0 of 48\)$")
    with pytest.raises(JpegError, match=message):
        cyjpeg.decode(damaged, strict=True)
    with pytest.warns(cyjpeg.JpegWarning, match=message):     # concealed by default, as libjpeg does
        assert cyjpeg.decode(damaged).shape == (45, 61)
    with pytest.warns(cyjpeg.JpegWarning, match=message):
        assert cyjpeg.decode(damaged, strict=False).shape == (45, 61)


def test_zero_run_past_the_end_of_the_band():
    # The first AC scan (Ss=1, Se=5) narrowed to Se=1: its data then runs zero coefficients past the band.
    data = bytearray((DATA / "arith_prog_gray_rst.jpg").read_bytes())
    sos = data.find(b"\xff\xda", data.find(b"\xff\xda") + 1)
    spectral = sos + 5 + 2 * data[sos + 4]
    assert (data[spectral], data[spectral + 1]) == (1, 5)
    data[spectral + 1] = 1
    message = (r"^JPEG data is corrupt: arithmetic-coded zero run past the end of the "
               r"block near byte 196 \(component 1, MCU 7 of 48\)$")
    with pytest.raises(JpegError, match=message):
        cyjpeg.decode(bytes(data), strict=True)
    with pytest.warns(cyjpeg.JpegWarning, match=message):     # concealed by default, as libjpeg does
        assert cyjpeg.decode(bytes(data)).shape == (45, 61)


@pytest.mark.parametrize("entry, message", [
    (b"\x00\x13", r"gives DC table 0 L=3 > U=1$"),
    (b"\x10\x00", r"gives AC table 0 Kx=0 \(1..63 allowed\)$"),
    (b"\x11\x40", r"gives AC table 1 Kx=64 \(1..63 allowed\)$"),
    (b"\x04\x10", r"conditions table class 0 id 4 \(class 0..1, id 0..3 allowed\)$"),
    (b"\x20\x10", r"conditions table class 2 id 0 \(class 0..1, id 0..3 allowed\)$"),
])
def test_bad_conditioning_table(entry, message):
    data = (DATA / "arith_seq_444.jpg").read_bytes()
    dac = segment(data, 0xCC)
    patched = data[:dac + 4] + entry + data[dac + 6:]
    with pytest.raises(JpegError, match=rf"^invalid JPEG: DAC at byte {dac + 4} " + message):
        cyjpeg.decode(patched)


def test_dac_of_odd_length():
    data = (DATA / "arith_seq_444.jpg").read_bytes()
    dac = segment(data, 0xCC)
    patched = data[:dac] + b"\xff\xcc\x00\x05\x00\x10\x00" + data[dac:]
    with pytest.raises(JpegError, match=rf"^invalid JPEG: DAC segment at byte {dac} has length 5 \(2 \+ 2 per table\)$"):
        cyjpeg.decode(patched)


def test_lossless_arithmetic_is_unsupported():
    data = bytearray((DATA / "arith_seq_gray.jpg").read_bytes())
    data[segment(bytes(data), 0xC9) + 1] = 0xCB
    with pytest.raises(UnsupportedJpegError, match=r"^lossless arithmetic-coded JPEG \(SOF11\) is not supported$"):
        cyjpeg.decode(bytes(data))


def test_garbage_scan_data_always_terminates():
    # Random bytes in place of the scan data: a decode or a JpegError, every time, in bounded time.
    rng = np.random.default_rng(11)
    for path in FILES:
        data = path.read_bytes()
        sos = data.rfind(b"\xff\xda")
        start = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
        for _ in range(5):
            noise = rng.integers(0, 256, size=len(data) - start, dtype=np.uint8).tobytes()
            for strict in (True, False):
                try:
                    cyjpeg.decode(data[:start] + noise, strict=strict)
                except JpegError:
                    pass
