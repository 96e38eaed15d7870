"""Lossless JPEG (T.81 Annex H, SOF3, 8-bit) against Pillow.

Pillow (libjpeg-turbo 3) decodes 8-bit lossless files but cannot write them, and the corpus holds one that
Pillow reads (t83__p14__O1, checked by test_conformance), so the files here come from a small lossless
encoder written for the test from T.81 Annex H: every predictor 1..7, point transforms, restart intervals,
interleaved and one-scan-per-component layouts, gray and three components. The encoder is checked by the
oracle only: Pillow must give back the samples it was fed (shifted by Pt), and cyjpeg must give what Pillow gives.
"""
import io

import numpy as np
import pytest
from PIL import Image

import cyjpeg
from cyjpeg import JpegError, UnsupportedJpegError

# One Huffman table for categories 0..16: seventeen 5-bit codes (T.81 C: BITS, then HUFFVAL).
BITS = bytes([0, 0, 0, 0, 17] + [0] * 11)
HUFFVAL = bytes(range(17))


def predict(predictor, left, above, above_left):
    return {1: left, 2: above, 3: above_left, 4: left + above - above_left,
            5: left + ((above - above_left) >> 1), 6: above + ((left - above_left) >> 1),
            7: (left + above) >> 1}[predictor]


class BitWriter:
    def __init__(self):
        self.out, self.acc, self.count = bytearray(), 0, 0

    def put(self, value, length):
        for shift in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> shift) & 1)
            self.count += 1
            if self.count == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc, self.count = 0, 0

    def flush(self):
        if self.count:
            self.put((1 << (8 - self.count)) - 1, 8 - self.count)


def segment(code, payload):
    return bytes([0xFF, code]) + (len(payload) + 2).to_bytes(2, "big") + payload


def encode_lossless(planes, predictor, pt=0, restart_rows=0, interleaved=True, ids=(1, 2, 3)):
    """Planes: a list of equal-size uint8 (H, W) arrays, 1x1 sampling. Returns the JPEG bytes."""
    height, width = planes[0].shape
    ncomp = len(planes)
    out = bytearray(b"\xff\xd8")
    out += segment(0xC3, bytes([8]) + height.to_bytes(2, "big") + width.to_bytes(2, "big") + bytes([ncomp])
                   + b"".join(bytes([ids[i], 0x11, 0]) for i in range(ncomp)))
    out += segment(0xC4, b"\x00" + BITS + HUFFVAL)
    if restart_rows:
        out += segment(0xDD, (restart_rows * width).to_bytes(2, "big"))
    shifted = [plane.astype(np.int64) >> pt for plane in planes]
    scans = [list(range(ncomp))] if interleaved else [[i] for i in range(ncomp)]
    for scan in scans:
        out += segment(0xDA, bytes([len(scan)]) + b"".join(bytes([ids[i], 0x00]) for i in scan)
                       + bytes([predictor, 0, pt]))
        writer, rst = BitWriter(), 0
        for y in range(height):
            if restart_rows and y and y % restart_rows == 0:
                writer.flush()
                out += writer.out + bytes([0xFF, 0xD0 + rst])
                writer, rst = BitWriter(), (rst + 1) & 7
            first_row = y % restart_rows == 0 if restart_rows else y == 0
            for x in range(width):
                for i in scan:
                    s = shifted[i]
                    if first_row:
                        guess = 1 << (8 - pt - 1) if x == 0 else s[y, x - 1]
                    elif x == 0:
                        guess = s[y - 1, x]
                    else:
                        guess = predict(predictor, s[y, x - 1], s[y - 1, x], s[y - 1, x - 1])
                    diff = (int(s[y, x]) - int(guess)) & 0xFFFF
                    if diff == 0x8000:
                        writer.put(16, 5)
                        continue
                    if diff > 0x8000:
                        diff -= 0x10000
                    category = abs(diff).bit_length()
                    writer.put(category, 5)
                    if category:
                        writer.put(diff if diff > 0 else diff + (1 << category) - 1, category)
        writer.flush()
        out += writer.out
    return bytes(out + b"\xff\xd9")


def sample_planes(width=37, height=23, ncomp=1):
    rng = np.random.default_rng(ncomp)
    y, x = np.mgrid[0:height, 0:width]
    base = (x * 5 + y * 3) % 256
    return [((base + 40 * i + rng.integers(-6, 7, size=base.shape)) % 256).astype(np.uint8) for i in range(ncomp)]


def pillow(data):
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.mark.parametrize("predictor", range(1, 8))
@pytest.mark.parametrize("pt", [0, 2])
def test_gray_predictors_and_point_transforms(predictor, pt):
    planes = sample_planes()
    data = encode_lossless(planes, predictor, pt)
    expected = pillow(data)
    np.testing.assert_array_equal(expected, (planes[0] >> pt) << pt)     # the encoder is right
    np.testing.assert_array_equal(cyjpeg.decode(data), expected)


@pytest.mark.parametrize("predictor", [1, 4, 7])
@pytest.mark.parametrize("interleaved", [True, False])
@pytest.mark.parametrize("ids", [(1, 2, 3), (ord("R"), ord("G"), ord("B"))])
def test_three_components(predictor, interleaved, ids):
    # Without a JFIF or Adobe marker, libjpeg-turbo returns lossless components as stored, whatever their ids
    # (for a DCT frame, ids 1, 2, 3 would mean YCbCr).
    planes = sample_planes(ncomp=3)
    data = encode_lossless(planes, predictor, interleaved=interleaved, ids=ids)
    expected = pillow(data)
    np.testing.assert_array_equal(expected, np.dstack(planes))
    np.testing.assert_array_equal(cyjpeg.decode(data), expected)


def test_jfif_lossless_is_converted_from_ycbcr():
    # libjpeg-turbo refuses this colour conversion in lossless mode (Pillow: "broken data stream"); the JFIF
    # marker says the components are YCbCr, so we convert, as Pillow converts YCbCr images to RGB.
    planes = sample_planes(ncomp=3)
    data = encode_lossless(planes, 1)
    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    ours = cyjpeg.decode(data[:2] + jfif + data[2:])
    expected = np.asarray(Image.fromarray(np.dstack(planes), "YCbCr").convert("RGB"))
    assert int(np.abs(ours.astype(np.int16) - expected).max()) <= 1


@pytest.mark.parametrize("predictor", [2, 5, 6])
@pytest.mark.parametrize("interleaved", [True, False])
def test_restart_intervals(predictor, interleaved):
    planes = sample_planes(ncomp=3)
    for restart_rows in (1, 4):
        data = encode_lossless(planes, predictor, restart_rows=restart_rows, interleaved=interleaved,
                               ids=(82, 71, 66))
        assert cyjpeg.info(data).restart_interval == restart_rows * 37
        np.testing.assert_array_equal(cyjpeg.decode(data), pillow(data))


def test_large_differences():
    # Alternating 0 / 255 columns: differences of +-255 (category 8) in every direction, and predictor 7's
    # halving of odd sums.
    plane = np.zeros((9, 16), np.uint8)
    plane[:, ::2] = 255
    data = encode_lossless([plane], 7)
    np.testing.assert_array_equal(cyjpeg.decode(data), pillow(data))


def test_corrupt_lossless_inputs():
    data = encode_lossless(sample_planes(), 1)
    sos = data.index(b"\xff\xda")
    predictor_at = sos + 2 + 2 + 1 + 2
    for value, message in ((0, "selects predictor 0 (1..7 allowed)"), (8, "selects predictor 8 (1..7 allowed)")):
        bad = data[:predictor_at] + bytes([value]) + data[predictor_at + 1:]
        with pytest.raises(JpegError, match=rf"^invalid JPEG: lossless scan at byte {sos} {message.replace('(', '[(]').replace(')', '[)]')}$"):
            cyjpeg.decode(bad)
    bad = data[:predictor_at + 2] + bytes([8]) + data[predictor_at + 3:]
    with pytest.raises(JpegError, match=rf"^invalid JPEG: lossless scan at byte {sos} has point transform 8 for 8-bit samples$"):
        cyjpeg.decode(bad)
    # Td is a 4-bit field: a table number past 3 is refused before any table is looked up (a fuzzing finding:
    # it indexed past the decoder's four DC tables).
    selector_at = sos + 2 + 2 + 1 + 1
    for selectors in (0xA0, 0xF3):
        bad = data[:selector_at] + bytes([selectors]) + data[selector_at + 1:]
        with pytest.raises(JpegError, match=rf"^invalid JPEG: lossless scan at byte {sos} selects Huffman table "
                                            rf"{selectors >> 4} [(]0..3 allowed[)]$"):
            cyjpeg.decode(bad)
    with pytest.raises(JpegError, match=r"^JPEG data is truncated: scan data ends at byte 300 \(in MCU \d+ of 851\)$"):
        cyjpeg.decode(data[:300])
    assert cyjpeg.decode(data[:300], strict=False).shape == (23, 37)
    with pytest.raises(UnsupportedJpegError, match=r"^scaled decoding \(scale=2\) of lossless JPEG is not supported$"):
        cyjpeg.decode(data, scale=2)


def test_restart_interval_not_whole_rows():
    data = encode_lossless(sample_planes(), 1, restart_rows=2)
    dri = data.index(b"\xff\xdd")
    bad = data[:dri + 4] + (50).to_bytes(2, "big") + data[dri + 6:]
    with pytest.raises(UnsupportedJpegError, match=r"^lossless JPEG with a restart interval of 50 MCUs, not a whole "
                                                   r"number of MCU rows \(37 MCUs\), is not supported$"):
        cyjpeg.decode(bad)


def test_damaged_interval_resumes_at_the_next_restart_marker_as_pillow():
    # libjpeg conceals a broken restart interval and decodes on from the next RSTn: the rows after it are
    # intact. Cut six bytes from the end of the first interval.
    data = encode_lossless(sample_planes(ncomp=1), 1, restart_rows=4)
    sos = data.find(b"\xff\xda")
    rst0 = data.find(b"\xff\xd0", sos)
    damaged = data[:rst0 - 6] + data[rst0:]
    with pytest.warns(cyjpeg.JpegWarning, match=r"^JPEG data is truncated: marker 0xFFD0 at byte \d+ interrupts"):
        ours = cyjpeg.decode(damaged)
    expected = np.asarray(Image.open(io.BytesIO(damaged)))
    np.testing.assert_array_equal(ours, expected)
    np.testing.assert_array_equal(ours[4:], cyjpeg.decode(data)[4:])
    with pytest.raises(JpegError, match=r"interrupts the scan data"):
        cyjpeg.decode(damaged, strict=True)
