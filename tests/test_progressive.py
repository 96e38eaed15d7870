"""Progressive decoding (T.81 G.1.2) and 4-component files against Pillow, plus tiny hand-made progressive
files that break one rule each and must raise JpegError with their exact message."""
import io
import struct

import numpy as np
import pytest
from PIL import Image, ImageFile

import cyjpeg
from cyjpeg import JpegError
from conftest import synthetic_image

SIZES = [(1, 1), (9, 7), (33, 17), (129, 258), (3, 1001), (64, 64)]


def pillow_encode(pixels, mode=None, **options):
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def pillow_decode(data):
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.mark.parametrize("height,width", SIZES)
@pytest.mark.parametrize("subsampling", [0, 1, 2, "gray"])
def test_progressive_bit_exact(height, width, subsampling):
    # libjpeg's default progression: DC first with Al=1, spectral selection, successive approximation of the
    # AC bands and of DC; the refinement scans exercise correction bits and EOB runs.
    if subsampling == "gray":
        data = pillow_encode(synthetic_image(height, width, 1), quality=90, progressive=True)
    else:
        data = pillow_encode(synthetic_image(height, width), quality=90, progressive=True, subsampling=subsampling)
    assert cyjpeg.info(data).progressive
    np.testing.assert_array_equal(cyjpeg.decode(data), pillow_decode(data))


@pytest.mark.parametrize("blocks", [1, 3, 7])
def test_progressive_with_restart_markers(blocks):
    data = pillow_encode(synthetic_image(70, 90, seed=blocks), quality=80, progressive=True,
                         restart_marker_blocks=blocks)
    assert b"\xff\xdd" in data
    np.testing.assert_array_equal(cyjpeg.decode(data), pillow_decode(data))


@pytest.mark.parametrize("quality", [5, 50, 100])
def test_progressive_quality_extremes(quality):
    data = pillow_encode(synthetic_image(40, 56, seed=quality), quality=quality, progressive=True, optimize=True)
    np.testing.assert_array_equal(cyjpeg.decode(data), pillow_decode(data))


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_progressive_scaled_matches_draft(scale):
    data = pillow_encode(synthetic_image(123, 201), quality=90, progressive=True)
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (201 // scale, 123 // scale))
    assert image.size == (-(-201 // scale), -(-123 // scale))
    np.testing.assert_array_equal(cyjpeg.decode(data, scale=scale), np.asarray(image))


def test_cmyk_written_by_pillow():
    # Pillow writes CMYK with an Adobe marker (transform 0) and inverted samples; we return what it reads back.
    cmyk = synthetic_image(37, 53, channels=3)
    cmyk = np.concatenate([cmyk, cmyk[:, :, :1] // 2], axis=2)
    for progressive in (False, True):
        data = pillow_encode(cmyk, "CMYK", quality=90, progressive=progressive)
        header = cyjpeg.info(data)
        assert (header.mode, header.components, header.adobe_transform) == ("CMYK", 4, 0)
        ours = cyjpeg.decode(data)
        assert ours.shape == (37, 53, 4)
        np.testing.assert_array_equal(ours, pillow_decode(data))
        np.testing.assert_array_equal(cyjpeg.decode(data, mode="RGB"),
                                      np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


def test_truncated_progressive_lenient():
    data = pillow_encode(synthetic_image(70, 90), quality=85, progressive=True)
    full = cyjpeg.decode(data)
    starts = [i for i in range(len(data) - 1) if data[i:i + 2] == b"\xff\xda"] + [len(data)]
    longest = max(range(len(starts) - 1), key=lambda k: starts[k + 1] - starts[k])
    cut = (starts[longest] + starts[longest + 1]) // 2           # inside the longest scan
    with pytest.raises(JpegError, match=rf"^JPEG data is truncated: scan data ends at byte {cut} \(in MCU \d+ of \d+\)$"):
        cyjpeg.decode(data[:cut])
    with pytest.warns(cyjpeg.JpegWarning, match=rf"^JPEG data is truncated: scan data ends at byte {cut} "):
        partial = cyjpeg.decode(data[:cut], strict=False)
    assert partial.shape == full.shape
    # Every scan complete but EOI missing: the whole picture.
    np.testing.assert_array_equal(cyjpeg.decode(data[:-2], strict=False), full)


def test_progressive_scans_stopping_early_match_pillow():
    # A progressive file whose scans stop early (EOI after any scan): libjpeg smooths the blocks whose low
    # coefficients are incomplete from their neighbours' DC values (jdcoefct.c decompress_smooth_data), and so
    # does cyjpeg, bit for bit. Without the EOI the data is truncated: JpegError, as Pillow's "image file is
    # truncated", unless strict=False.
    for progressive_options in ({}, {"subsampling": 0}):
        data = pillow_encode(synthetic_image(70, 90), quality=85, progressive=True, **progressive_options)
        starts = [i for i in range(len(data) - 1) if data[i:i + 2] == b"\xff\xda"]
        assert len(starts) >= 6
        for start in starts[1:]:
            stopped = data[:start] + b"\xff\xd9"
            np.testing.assert_array_equal(cyjpeg.decode(stopped), pillow_decode(stopped))
            with pytest.raises(JpegError, match=r"^JPEG data is truncated: the progressive scans end at byte"):
                cyjpeg.decode(data[:start])
            with pytest.warns(cyjpeg.JpegWarning, match=r"^JPEG data is truncated: the progressive scans end"):
                np.testing.assert_array_equal(cyjpeg.decode(data[:start], strict=False), cyjpeg.decode(stopped))



@pytest.mark.parametrize("restart", [0, 2])
def test_truncated_baseline_lenient_matches_pillow(restart):
    # Pillow with LOAD_TRUNCATED_IMAGES: what was decoded, the MCUs the data does not reach grey (128).
    data = pillow_encode(synthetic_image(70, 90), quality=85, restart_marker_blocks=restart)
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        for cut in (len(data) // 3, len(data) * 2 // 3, len(data) - 5):
            expected = pillow_decode(data[:cut])
            with pytest.warns(cyjpeg.JpegWarning, match=r"^JPEG data is truncated: scan data ends"):
                np.testing.assert_array_equal(cyjpeg.decode(data[:cut], strict=False), expected)
            with pytest.raises(JpegError, match=r"^JPEG data is truncated: scan data ends"):
                cyjpeg.decode(data[:cut])          # the default, as Pillow: "image file is truncated"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False


# ----------------------------------------------------------------------------------------------------------
# Hand-made progressive files: 16x8 grayscale (two blocks), unit quantization, tiny Huffman tables.

def segment(code, payload):
    return bytes([0xFF, code]) + struct.pack(">H", len(payload) + 2) + payload


def sos(ss, se, ah, al, ncomp=1):
    components = b"".join(bytes([1 + i, 0x00]) for i in range(ncomp))
    return segment(0xDA, bytes([ncomp]) + components + bytes([ss, se, (ah << 4) | al]))


def tiny_progressive(*scans, restart_interval=0, ncomp=1):
    """SOI, DQT, SOF2 (16x8, ncomp components 1x1), DHT (DC: '0' -> 0; AC: '0' -> 0x10, '10' -> 0x01), scans."""
    frame = bytes([8]) + struct.pack(">HH", 8, 16) + bytes([ncomp]) + b"".join(bytes([1 + i, 0x11, 0]) for i in range(ncomp))
    dc_table = bytes([0x00, 1] + [0] * 15 + [0x00])
    ac_table = bytes([0x10, 1, 1] + [0] * 14 + [0x10, 0x01])
    data = b"\xff\xd8" + segment(0xDB, b"\x00" + b"\x01" * 64) + segment(0xC2, frame)
    data += segment(0xC4, dc_table + ac_table)
    if restart_interval:
        data += segment(0xDD, struct.pack(">H", restart_interval))
    for header, entropy in scans:
        data += header + entropy
    return data + b"\xff\xd9"


DC_FIRST = (sos(0, 0, 0, 0), b"\x3f")             # two blocks, DC difference 0 each: bits 00, padded with 1s


def test_tiny_progressive_decodes_grey():
    data = tiny_progressive(DC_FIRST, (sos(1, 63, 0, 0), b"\x3f"))   # AC: EOB run of 2 (code 0, extra bit 0)
    np.testing.assert_array_equal(cyjpeg.decode(data), np.full((8, 16), 128, np.uint8))
    np.testing.assert_array_equal(cyjpeg.decode(data), pillow_decode(data))


def test_eob_run_past_the_end_of_the_scan():
    # Code 0 (EOBRUN r=1) and extra bit 1: a run of 3 blocks in a scan of 2.
    data = tiny_progressive(DC_FIRST, (sos(1, 63, 0, 0), b"\x7f"))
    at = data.rindex(b"\xff\xda")
    message = rf"^invalid JPEG: an EOB run of 1 more blocks runs past the end of the scan at byte {at}$"
    with pytest.raises(JpegError, match=message):
        cyjpeg.decode(data, strict=True)
    # libjpeg ignores the rest of the run (with a warning); so does the default decode.
    with pytest.warns(cyjpeg.JpegWarning, match=message):
        np.testing.assert_array_equal(cyjpeg.decode(data), pillow_decode(data))


def test_eob_run_past_a_restart_interval():
    dc = (sos(0, 0, 0, 0), b"\x7f\xff\xd0\x7f")     # one block per interval
    ac = (sos(1, 63, 0, 0), b"\x3f\xff\xd0\x3f")    # an EOB run of 2 in an interval of 1 block
    data = tiny_progressive(dc, ac, restart_interval=1)
    at = data.rindex(b"\xff\xda")
    message = (rf"^invalid JPEG: an EOB run of 1 more blocks runs past the restart interval ending at MCU 1 of 2 "
               rf"\(scan at byte {at}\)$")
    with pytest.raises(JpegError, match=message):
        cyjpeg.decode(data, strict=True)
    with pytest.warns(cyjpeg.JpegWarning, match=message):
        np.testing.assert_array_equal(cyjpeg.decode(data), pillow_decode(data))


@pytest.mark.parametrize("ss,se,ah,al,ncomp,message", [
    (0, 5, 0, 0, 1, "has Ss=0 and Se=5 (a DC scan must have Se=0)"),
    (5, 2, 0, 0, 1, "has spectral selection Ss=5, Se=2 (an AC scan needs 1 <= Ss <= Se <= 63)"),
    (1, 64, 0, 0, 1, "has spectral selection Ss=1, Se=64 (an AC scan needs 1 <= Ss <= Se <= 63)"),
    (1, 63, 0, 0, 3, "is an AC scan (Ss=1) of 3 components (AC scans code one component)"),
    (0, 0, 3, 1, 1, "has Ah=3, Al=1 (a refinement scan must have Al = Ah - 1)"),
    (0, 0, 0, 14, 1, "has Al=14 (at most 13)"),
])
def test_bad_progressive_scan_parameters(ss, se, ah, al, ncomp, message):
    data = tiny_progressive((sos(ss, se, ah, al, ncomp), b"\x3f"), ncomp=ncomp)
    at = data.index(b"\xff\xda")
    expected = f"invalid JPEG: progressive scan at byte {at} {message}"
    with pytest.raises(JpegError) as caught:
        cyjpeg.decode(data)
    assert str(caught.value) == expected
    with pytest.raises(JpegError):                  # libjpeg refuses these too: no strict=False escape
        cyjpeg.decode(data, strict=False)


@pytest.mark.parametrize("ss,se,coefficient", [(0, 0, 0), (1, 63, 1)])
def test_refinement_without_first_scan(ss, se, coefficient):
    first = [DC_FIRST] if ss else []
    data = tiny_progressive(*first, (sos(ss, se, 1, 0), b"\x3f"))
    at = data.rindex(b"\xff\xda")
    assert_warned_as_libjpeg(data, f"invalid JPEG: progressive scan at byte {at} refines coefficient "
                                   f"{coefficient} of component 1, which no earlier scan coded")


def assert_warned_as_libjpeg(data, message):
    """strict=True raises `message`; libjpeg only warns, and the default decode does as it does (the pixels
    are Pillow's) and warns the same."""
    with pytest.raises(JpegError) as caught:
        cyjpeg.decode(data, strict=True)
    assert str(caught.value) == message
    with pytest.warns(cyjpeg.JpegWarning) as caught_warnings:
        np.testing.assert_array_equal(cyjpeg.decode(data), pillow_decode(data))
    assert [str(w.message) for w in caught_warnings] == [message]


@pytest.mark.parametrize("scans,message", [
    ([(sos(1, 63, 0, 0), b"\x3f"), DC_FIRST],
     "codes AC coefficients of component 1 before any scan coded its DC coefficient"),
    ([(sos(0, 0, 0, 1), b"\x3f"), (sos(0, 0, 2, 1), b"\x3f")],
     "has Ah=2 for coefficient 0 of component 1, whose last scan had Al=1"),
    ([(sos(0, 0, 0, 1), b"\x3f"), (sos(0, 0, 0, 0), b"\x3f")],
     "has Ah=0 for coefficient 0 of component 1, whose last scan had Al=1"),
], ids=["AC before DC", "refinement of the wrong bit", "first scan of a coded coefficient"])
def test_progressions_libjpeg_warns_about(scans, message):
    # libjpeg's start_pass checks: it warns (JWRN_BOGUS_PROGRESSION) and decodes each scan as its header says.
    data = tiny_progressive(*scans)
    at = data.index(b"\xff\xda") if "AC coefficients" in message else data.rindex(b"\xff\xda")
    assert_warned_as_libjpeg(data, f"invalid JPEG: progressive scan at byte {at} {message}")


def test_ac_scan_without_its_huffman_table():
    data = tiny_progressive(DC_FIRST, (segment(0xDA, bytes([1, 1, 0x02, 1, 63, 0])), b"\x3f"))
    with pytest.raises(JpegError, match=r"^invalid JPEG: component 1 uses AC Huffman table 2, which no DHT defined$"):
        cyjpeg.decode(data)


def test_cli_and_phash_take_cmyk_as_rgb(tmp_path):
    from cyjpeg import cli

    cmyk = np.random.default_rng(5).integers(0, 256, size=(64, 48, 4), dtype=np.uint8)
    path = tmp_path / "cmyk.jpg"
    path.write_bytes(pillow_encode(cmyk, "CMYK", quality=90))
    expected = np.asarray(Image.open(path).convert("RGB"))
    np.testing.assert_array_equal(cli.read_pixels(path), expected)
    assert cli.main(["decode", str(path), str(tmp_path / "out.png")]) == 0
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out.png")), expected)
    assert isinstance(cyjpeg.phash(path.read_bytes()), int)


def test_too_many_scans_refused():
    # A decompression bomb in time: every scan walks every block, so the count is capped.
    data = tiny_progressive(*([DC_FIRST] * 1001))
    with pytest.raises(JpegError, match=r"^JPEG data has more than 1000 scans \(refused: each scan walks the whole image\)$"):
        cyjpeg.decode(data)
    assert cyjpeg.decode(tiny_progressive(*([DC_FIRST] * 1000))).shape == (8, 16)


def entropy_bits(bits):
    """A scan's entropy-coded bytes from a string of '0'/'1', padded with 1s (no 0xFF byte may result)."""
    bits += "1" * (-len(bits) % 8)
    data = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
    assert b"\xff" not in data
    return data


def test_refinement_run_past_the_band_matches_pillow():
    # One 8x8 grayscale block, AC table '0' -> 0x01, '10' -> EOB, '110' -> 0x31 (3 zeros, then size 1),
    # '1110' -> ZRL. A refinement whose zero run finds too few zeros in Ss..Se puts its new coefficient just
    # past Se (libjpeg's natural_order walk, T.81 G.1.2.3 silent on it); a later refinement of the next band
    # must then treat that coefficient as nonzero (a correction bit, and the new value one place further).
    frame = bytes([8]) + struct.pack(">HH", 8, 8) + bytes([1, 1, 0x11, 0])
    dc_table = bytes([0x00, 1] + [0] * 15 + [0x00])
    ac_table = bytes([0x10, 1, 1, 1, 1] + [0] * 12 + [0x01, 0x00, 0x31, 0xF0])
    data = b"\xff\xd8" + segment(0xDB, b"\x00" + b"\x01" * 64) + segment(0xC2, frame)
    data += segment(0xC4, dc_table + ac_table)
    data += sos(0, 0, 0, 0) + entropy_bits("0")                 # DC 0
    data += sos(1, 5, 0, 1) + entropy_bits("0" "1" "110" "0" "10")  # k1 = +1 << 1, k5 = -1 << 1, EOB
    data += sos(6, 63, 0, 1) + entropy_bits("10")                # nothing in 6..63 yet
    data += sos(1, 5, 1, 0) + entropy_bits("110" "1" "1" "1")   # +1 three zeros on: past Se=5, at k6
    data += sos(6, 63, 1, 0) + entropy_bits("0" "1" "0" "10")   # k6 passed (its bit), new +1 at k7, EOB
    data += b"\xff\xd9"
    np.testing.assert_array_equal(cyjpeg.decode(data, strict=True), pillow_decode(data))
    assert np.ptp(pillow_decode(data)) > 0
