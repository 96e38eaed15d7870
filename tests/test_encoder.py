"""The encoder against Pillow (libjpeg-turbo) as the oracle: issue 2, item 1.

Pillow decodes every output; PSNR to the original is at most 0.2 dB below Pillow's own encode with the same
settings; the size is within 3% (1% with optimize=True). Pillow cannot write 4:4:0, so for it the oracle is
Pillow's 4:2:2 encode of the transposed image with transposed quantization tables, decoded and transposed
back: the same layout of samples per block, with rows and columns exchanged. Our encoder reproduces
libjpeg-turbo's arithmetic, so for the layouts Pillow can write the bytes are identical, which is tested too.
"""
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cyjpeg

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
KODAK = CORPUS / "photos" / "kodak"
KODAK_SUBSET = ["kodim01.png", "kodim03.png", "kodim13.png", "kodim23.png"]  # texture, smooth, detail, colour
QUALITIES = [50, 75, 90, 95]
MODES = ["4:4:4", "4:2:2", "4:2:0", "4:4:0", "gray"]
SIZES = [(1, 1), (7, 9), (17, 33), (258, 129), (1001, 3)]  # (height, width): partial MCUs on every edge


def synthetic(height, width, seed=0):
    """Smooth colour gradients plus mild noise (photo-like statistics, not pure noise)."""
    rng = np.random.default_rng(seed + height * 7919 + width)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    fx, fy = x / max(width - 1, 1), y / max(height - 1, 1)
    base = np.stack([255 * fx, 255 * fy, 128 + 100 * np.sin(6 * fx + 4 * fy)], axis=-1)
    return np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)


def kodak(name):
    path = KODAK / name
    if not path.exists():
        pytest.skip(f"Kodak corpus not available at {KODAK}")
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def as_mode(rgb, mode):
    return np.asarray(Image.fromarray(rgb).convert("L")) if mode == "gray" else rgb


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def pillow_decode(data):
    with Image.open(io.BytesIO(data)) as im:
        im.load()
        return im.format, np.asarray(im)


def pillow_reference(pixels, quality, mode, optimize=False):
    """(bytes, decoded pixels) of Pillow's encode with the same settings (see module docstring for 4:4:0)."""
    buf = io.BytesIO()
    if mode == "4:4:0":
        tables = cyjpeg.quality_tables(quality)
        transposed_tables = [[int(v) for v in t.reshape(8, 8).T.reshape(-1)] for t in tables]
        transposed = np.ascontiguousarray(pixels.transpose(1, 0, 2))
        Image.fromarray(transposed).save(buf, "JPEG", qtables=transposed_tables, subsampling="4:2:2",
                                         optimize=optimize)
        return buf.getvalue(), pillow_decode(buf.getvalue())[1].transpose(1, 0, 2)
    subsampling = "4:4:4" if mode == "gray" else mode
    Image.fromarray(pixels).save(buf, "JPEG", quality=quality, subsampling=subsampling, optimize=optimize)
    return buf.getvalue(), pillow_decode(buf.getvalue())[1]


def check_against_pillow(pixels, quality, mode, optimize, size_tolerance, size_slack=0):
    data = cyjpeg.encode(pixels, quality=quality, subsampling="4:2:0" if mode == "gray" else mode,
                         optimize=optimize)
    image_format, decoded = pillow_decode(data)
    assert image_format == "JPEG"
    assert decoded.shape == pixels.shape
    reference, reference_decoded = pillow_reference(pixels, quality, mode, optimize)
    ours, theirs = psnr(pixels, decoded), psnr(pixels, reference_decoded)
    assert ours >= theirs - 0.2, f"PSNR {ours:.3f} dB vs Pillow {theirs:.3f} dB"
    # Tiny images are mostly headers (over 600 bytes of tables): compare the whole file anyway.
    assert abs(len(data) - len(reference)) <= size_tolerance * len(reference) + size_slack, (
        len(data), len(reference))
    return data, reference


@pytest.mark.parametrize("optimize", [False, True], ids=["standard", "optimize"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("height,width", SIZES)
def test_synthetic_awkward_sizes(height, width, mode, optimize):
    pixels = as_mode(synthetic(height, width), mode)
    tolerance = 0.01 if optimize else 0.03
    if mode == "4:4:0":
        # The transposed oracle is not the same encode: zigzag order and the DCT's two passes are not
        # symmetric, and libjpeg-turbo rounds h1v2 down-sampling differently from h2v1. On these tiny noisy
        # images that alone moves optimize=True sizes by up to 2%, so only the 3% bar is meaningful here;
        # the 1% bar for 4:4:0 is checked on the Kodak photos, where the oracle is close. On files of a few
        # hundred bytes the optimal tables also list a slightly different set of symbols (one DHT byte
        # each), hence a few bytes of absolute slack.
        tolerance, slack = 0.03, 16
    else:
        slack = 0
    for quality in QUALITIES:
        check_against_pillow(pixels, quality, mode, optimize, tolerance, slack)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", KODAK_SUBSET)
def test_kodak(name, mode):
    pixels = as_mode(kodak(name), mode)
    for quality in QUALITIES:
        check_against_pillow(pixels, quality, mode, False, 0.03)
    check_against_pillow(pixels, 75, mode, True, 0.01)


@pytest.mark.parametrize("optimize", [False, True], ids=["standard", "optimize"])
@pytest.mark.parametrize("mode", ["4:4:4", "4:2:2", "4:2:0", "gray"])
def test_bytes_identical_to_pillow(mode, optimize):
    """Same colour conversion, down-sampling, DCT, rounding and tables as libjpeg-turbo: the same file."""
    images = [synthetic(h, w) for h, w in SIZES]
    if (KODAK / KODAK_SUBSET[1]).exists():
        images.append(kodak(KODAK_SUBSET[1]))
    for rgb in images:
        pixels = as_mode(rgb, mode)
        for quality in (50, 90):
            data = cyjpeg.encode(pixels, quality=quality, subsampling="4:2:0" if mode == "gray" else mode,
                                 optimize=optimize)
            assert data == pillow_reference(pixels, quality, mode, optimize)[0], (pixels.shape, quality)


@pytest.mark.parametrize("mode", ["4:4:4", "4:2:2", "4:2:0", "4:4:0", "gray"])
def test_restart_interval_decodes_to_same_pixels(mode):
    pixels = as_mode(synthetic(61, 83), mode)
    subsampling = "4:2:0" if mode == "gray" else mode
    plain = pillow_decode(cyjpeg.encode(pixels, quality=80, subsampling=subsampling))[1]
    for interval in (1, 2, 5, 9, 1000):
        for optimize in (False, True):
            data = cyjpeg.encode(pixels, quality=80, subsampling=subsampling, restart_interval=interval,
                                 optimize=optimize)
            assert b"\xff\xdd\x00\x04" + interval.to_bytes(2, "big") in data  # DRI segment
            assert np.array_equal(pillow_decode(data)[1], plain), (interval, optimize)


def test_restart_markers_cycle_and_match_pillow():
    pixels = synthetic(64, 64)  # 4:2:0: 16 MCUs
    data = cyjpeg.encode(pixels, quality=75, subsampling="4:2:0", restart_interval=1)
    scan = data[data.index(b"\xff\xda"):]
    markers = [scan[i + 1] for i in range(len(scan) - 1) if scan[i] == 0xFF and 0xD0 <= scan[i + 1] <= 0xD7]
    assert markers == [0xD0 + (n % 8) for n in range(15)]
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "JPEG", quality=75, subsampling="4:2:0", restart_marker_blocks=1)
    assert data == buf.getvalue()


def read_dqt(data):
    """{table id: 64 values in natural order} from the DQT segments of a JPEG."""
    tables, pos = {}, 2
    zigzag = np.array(cyjpeg._tables.ZIGZAG)
    while data[pos + 1] != 0xDA:
        marker, length = data[pos + 1], int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDB:
            body = data[pos + 4:pos + 2 + length]
            for start in range(0, len(body), 65):
                natural = np.zeros(64, dtype=int)
                natural[zigzag] = list(body[start + 1:start + 65])
                tables[body[start] & 15] = natural.tolist()
        pos += 2 + length
    return tables


def test_qtables_are_written_as_given():
    rng = np.random.default_rng(5)
    luma, chroma = rng.integers(1, 256, 64), rng.integers(1, 256, 64)
    pixels = synthetic(40, 50)
    data = cyjpeg.encode(pixels, qtables=[luma, chroma])
    assert read_dqt(data) == {0: luma.tolist(), 1: chroma.tolist()}
    with Image.open(io.BytesIO(data)) as im:
        assert im.quantization == {0: luma.tolist(), 1: chroma.tolist()}
        im.load()
    single = cyjpeg.encode(pixels, qtables=luma)
    assert read_dqt(single) == {0: luma.tolist(), 1: luma.tolist()}
    assert read_dqt(cyjpeg.encode(pixels[:, :, 0], qtables=luma)) == {0: luma.tolist()}


def test_qtables_equal_quality_gives_same_bytes():
    pixels = synthetic(33, 47)
    assert cyjpeg.encode(pixels, qtables=cyjpeg.quality_tables(60)) == cyjpeg.encode(pixels, quality=60)


def test_headers_are_jfif_baseline():
    data = cyjpeg.encode(synthetic(9, 17), subsampling="4:2:2")
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    assert data[2:20] == b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = data.index(b"\xff\xc0")
    assert data[sof + 4:sof + 19] == bytes([8, 0, 9, 0, 17, 3, 1, 0x21, 0, 2, 0x11, 1, 3, 0x11, 1])


def test_extreme_values_and_flat_images():
    for value in (0, 255):
        for mode in MODES:
            pixels = as_mode(np.full((24, 40, 3), value, np.uint8), mode)
            data = cyjpeg.encode(pixels, quality=100, subsampling="4:2:0" if mode == "gray" else mode)
            assert np.abs(pillow_decode(data)[1].astype(int) - value).max() <= 1
    noise = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = cyjpeg.encode(noise, quality=100, subsampling="4:4:4")  # many 0xFF bytes to stuff, long codes
    assert psnr(noise, pillow_decode(data)[1]) > 40


def test_encode_image_rejects_bad_arguments():
    from cyjpeg import _encoder

    tables = cyjpeg.quality_tables(75)
    pixels = synthetic(8, 8)
    with pytest.raises(ValueError):
        _encoder.encode_image(pixels, tables[:1], 1, 1, False, 0)
    with pytest.raises(ValueError):
        _encoder.encode_image(pixels, tables, 3, 1, False, 0)
    with pytest.raises(ValueError):
        _encoder.encode_image(np.zeros((8, 8, 4), np.uint8), tables, 1, 1, False, 0)
    with pytest.raises(ValueError):
        _encoder.encode_image(pixels, np.zeros((2, 64), np.uint16), 1, 1, False, 0)
