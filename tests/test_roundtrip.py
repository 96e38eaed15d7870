"""decode(encode(x)) against Pillow decoding the same bytes (issue 2, item 3)."""
import numpy as np
import pytest

import cyjpeg
from cyjpeg.metrics import psnr
from conftest import kodak_photos, load_rgb, pillow_decode, synthetic_image

SIZES = [(1, 1), (7, 9), (17, 33), (258, 129), (3, 1001)]
SUBSAMPLINGS = ["4:4:4", "4:2:2", "4:2:0", "4:4:0"]


def assert_roundtrip_close(original, data):
    ours = cyjpeg.decode(data)
    pillows = pillow_decode(data)
    assert ours.shape == pillows.shape == original.shape
    assert psnr(original, ours) >= psnr(original, pillows) - 0.1


@pytest.mark.parametrize("subsampling", SUBSAMPLINGS)
@pytest.mark.parametrize("height, width", SIZES)
def test_roundtrip_synthetic(height, width, subsampling):
    image = synthetic_image(height, width, seed=height * width)
    for quality in (50, 90):
        assert_roundtrip_close(image, cyjpeg.encode(image, quality=quality, subsampling=subsampling))


@pytest.mark.parametrize("height, width", SIZES)
def test_roundtrip_grayscale(height, width):
    image = synthetic_image(height, width, channels=1)
    assert_roundtrip_close(image, cyjpeg.encode(image, quality=75))


@pytest.mark.parametrize("subsampling", SUBSAMPLINGS)
def test_roundtrip_kodak(subsampling):
    for path in kodak_photos(3):
        image = load_rgb(path)
        data = cyjpeg.encode(image, quality=75, subsampling=subsampling, optimize=True, restart_interval=7)
        assert_roundtrip_close(image, data)


def test_decode_is_bit_exact_with_pillow_on_our_files():
    """Our decoder on our own 4:2:0 output: libjpeg's IDCT and fancy upsampling give the same pixels."""
    image = synthetic_image(61, 83)
    data = cyjpeg.encode(image, quality=85)
    assert np.abs(cyjpeg.decode(data).astype(int) - pillow_decode(data).astype(int)).max() <= 2
