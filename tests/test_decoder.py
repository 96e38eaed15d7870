"""The baseline decoder against Pillow (libjpeg-turbo) as the oracle.

Synthetic files (encoded by Pillow at awkward sizes and every subsampling it writes) must decode bit-exactly;
the corpus headers must read as Pillow reads them. The corpus pixels are compared in test_conformance.py.
"""
import csv
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cyjpeg
from conftest import pillow_draft

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BASELINE_CATEGORIES = ("baseline", "grayscale", "restart", "subsampling-variant", "icc", "exif-orientation", "large")


def pillow_encode(pixels, **options):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def pillow_decode(data, mode):
    return np.asarray(Image.open(io.BytesIO(data)).convert(mode))


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def test_pattern(height, width, channels, seed=0):
    # Smooth gradients plus noise: exercises every coefficient position and the clamping at 0 and 255.
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = (x * 255 // max(width - 1, 1) + y * 97 // max(height - 1, 1))[..., None] + np.arange(channels) * 60
    noisy = base + rng.integers(-40, 41, size=(height, width, channels))
    image = np.clip(noisy, 0, 255).astype(np.uint8)
    return image[..., 0] if channels == 1 else image


test_pattern.__test__ = False

SIZES = [(1, 1), (9, 7), (33, 17), (129, 258), (3, 1001), (64, 64)]


@pytest.mark.parametrize("height,width", SIZES)
@pytest.mark.parametrize("subsampling", [0, 1, 2, "gray"])
def test_synthetic_bit_exact(height, width, subsampling):
    if subsampling == "gray":
        data = pillow_encode(test_pattern(height, width, 1), quality=85)
        mode = "L"
    else:
        data = pillow_encode(test_pattern(height, width, 3), quality=85, subsampling=subsampling)
        mode = "RGB"
    ours = cyjpeg.decode(data)
    expected = pillow_decode(data, mode)
    assert ours.shape == expected.shape
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("quality", [5, 50, 95, 100])
def test_quality_extremes_bit_exact(quality):
    # q100 gives quantizers of 1 (large coefficients); q5 gives large quantizers (clamping of the IDCT).
    data = pillow_encode(test_pattern(40, 56, 3, seed=quality), quality=quality, subsampling=2)
    np.testing.assert_array_equal(cyjpeg.decode(data), pillow_decode(data, "RGB"))


@pytest.mark.parametrize("blocks", [1, 3, 7])
def test_restart_markers_bit_exact(blocks):
    pixels = test_pattern(70, 90, 3, seed=blocks)
    data = pillow_encode(pixels, quality=80, subsampling=2, restart_marker_blocks=blocks)
    assert b"\xff\xdd" in data
    np.testing.assert_array_equal(cyjpeg.decode(data), pillow_decode(data, "RGB"))
    assert cyjpeg.info(data).restart_interval == blocks


def test_optimized_huffman_tables_and_bytes_like_inputs():
    data = pillow_encode(test_pattern(50, 60, 3), quality=90, optimize=True)
    expected = pillow_decode(data, "RGB")
    for buffer in (data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        np.testing.assert_array_equal(cyjpeg.decode(buffer), expected)


def test_every_file_gets_its_own_huffman_tables_through_the_table_cache():
    # Built Huffman tables are kept between decodes, keyed by their DHT bytes, in 8 slots. Files with
    # different optimised tables, decoded in turn far more often than the slots hold, must each decode as
    # Pillow decodes them, at full scale and at 1/8 (where an AC table's skip table is kept with it). A table
    # that fails to build is not kept: the file fails again, the same way.
    files = [pillow_encode(test_pattern(40 + seed, 56 + 3 * seed, 3, seed), quality=50 + 4 * seed, optimize=True,
                           subsampling=seed % 3) for seed in range(12)]
    files.append(pillow_encode(test_pattern(64, 64, 3, 99), quality=75))     # the T.81 Annex K tables
    for data in files + files[::-1] + files:
        np.testing.assert_array_equal(cyjpeg.decode(data), pillow_decode(data, "RGB"))
        np.testing.assert_array_equal(cyjpeg.decode(data, scale=8), pillow_draft(data, 8))
    bad_table = b"\xff\xc4\x00\x16\x10" + bytes([3] + [0] * 15) + b"\x00\x01\x02"
    for _ in range(2):
        with pytest.raises(cyjpeg.JpegError, match=r"^invalid JPEG: Huffman table at byte 6 has more codes"):
            cyjpeg.decode(files[0][:2] + bad_table + files[0][2:], scale=8)


def test_missing_huffman_tables_use_the_annex_k_defaults():
    # Motion-JPEG frames leave DHT out; libjpeg then uses T.81 K.3. Strip Pillow's DHT (it writes K.3 tables).
    data = pillow_encode(test_pattern(24, 40, 3), quality=75)
    stripped, pos = bytearray(data[:2]), 2
    while data[pos + 1] != 0xDA:
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if data[pos + 1] != 0xC4:
            stripped += data[pos:pos + 2 + length]
        pos += 2 + length
    stripped += data[pos:]
    assert b"\xff\xc4" not in bytes(stripped[:pos])
    np.testing.assert_array_equal(cyjpeg.decode(bytes(stripped)), pillow_decode(data, "RGB"))


def test_adobe_transform_0_means_rgb_components():
    # Pillow writes Adobe-less JFIF; insert APP14 with transform 0 and drop JFIF: the samples are then R, G, B.
    pixels = test_pattern(16, 16, 3)
    data = pillow_encode(pixels, quality=90, subsampling=0)
    assert data[2:4] == b"\xff\xe0"
    jfif_length = int.from_bytes(data[4:6], "big")
    adobe = b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x00"
    patched = data[:2] + adobe + data[4 + jfif_length:]
    ours = cyjpeg.decode(patched)
    np.testing.assert_array_equal(ours, pillow_decode(patched, "RGB"))
    assert cyjpeg.info(patched).adobe_transform == 0


def test_info_reads_headers():
    pixels = test_pattern(33, 17, 3)
    data = pillow_encode(pixels, quality=75, subsampling=2, dpi=(300, 300))
    info = cyjpeg.info(data)
    assert (info.width, info.height, info.components, info.mode) == (17, 33, 3, "RGB")
    assert info.sampling_factors == ((2, 2), (1, 1), (1, 1))
    assert info.subsampling == "4:2:0"
    assert info.progressive is False and info.sof == 0xC0 and info.precision == 8
    assert info.jfif_version == (1, 1) and info.density == (300, 300, 1)
    progressive = pillow_encode(pixels, quality=75, progressive=True)
    assert cyjpeg.info(progressive).progressive is True


def corpus_rows(categories):
    table = CORPUS / "jpeg.csv"
    if not table.exists():
        pytest.skip(f"corpus not found at {CORPUS}")
    with open(table, newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["category"] in categories]


# The corpus-wide pixel comparison (every category, damaged files concealed as Pillow does, scaled decodes) lives in
# test_conformance.py.


def test_corpus_headers_match_pillow():
    categories = BASELINE_CATEGORIES + ("progressive", "cmyk", "arithmetic")
    failures = []
    for row in corpus_rows(categories):
        data = (CORPUS / row["file"]).read_bytes()
        info = cyjpeg.info(data)
        with Image.open(io.BytesIO(data)) as image:
            if (info.width, info.height) != image.size:
                failures.append(f"{row['file']}: size {(info.width, info.height)}, Pillow {image.size}")
            if info.components != len(image.getbands()):
                failures.append(f"{row['file']}: {info.components} components, Pillow mode {image.mode}")
            if info.progressive != row["features"].startswith("SOF2"):
                failures.append(f"{row['file']}: progressive={info.progressive}")
            if info.icc_profile != image.info.get("icc_profile"):
                failures.append(f"{row['file']}: ICC profile differs from Pillow's")
            if info.exif != image.info.get("exif"):
                failures.append(f"{row['file']}: EXIF differs from Pillow's")
    assert not failures, "\n".join(failures)
