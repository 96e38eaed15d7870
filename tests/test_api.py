"""The public API's argument handling, and quantization tables against libjpeg's (through Pillow)."""
import io

import numpy as np
import pytest
from PIL import Image

import cyjpeg
from conftest import pillow_decode, synthetic_image


def test_errors_are_value_errors():
    assert issubclass(cyjpeg.JpegError, ValueError)
    assert issubclass(cyjpeg.UnsupportedJpegError, cyjpeg.JpegError)
    assert issubclass(cyjpeg.JpegWarning, UserWarning) and "JpegWarning" in cyjpeg.__all__


def test_decode_strict_takes_none_true_or_false():
    with pytest.raises(ValueError, match=r"^strict must be None, True or False, got 'yes'$"):
        cyjpeg.decode(cyjpeg.encode(np.zeros((8, 8), np.uint8)), strict="yes")


def test_decode_of_an_intact_file_warns_nothing():
    import warnings

    data = cyjpeg.encode(synthetic_image(33, 47))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for strict in (None, True, False):
            cyjpeg.decode(data, strict=strict)


@pytest.mark.parametrize("quality", [1, 10, 25, 49, 50, 51, 75, 90, 95, 100])
def test_quality_tables_equal_libjpeg(quality):
    """Pillow (libjpeg) writes the same DQT at every quality: the IJG scaling formula, clamped to 1..255."""
    buffer = io.BytesIO()
    Image.fromarray(synthetic_image(16, 16)).save(buffer, "JPEG", quality=quality)
    with Image.open(buffer) as image:
        libjpeg = image.quantization  # natural order, as Pillow reports it
    ours = cyjpeg.quality_tables(quality)
    for index in (0, 1):
        assert list(ours[index]) == list(libjpeg[index])


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((8, 8), np.float32), "dtype uint8"),
        (np.zeros((8, 8, 4), np.uint8), "shape"),
        (np.zeros((8,), np.uint8), "shape"),
        (np.zeros((0, 8), np.uint8), "1..65535"),
        ("not an image", "numpy array or a PIL"),
    ],
)
def test_encode_rejects_bad_images(image, message):
    with pytest.raises(ValueError, match=message):
        cyjpeg.encode(image)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"quality": 0}, "quality must be from 1 to 100"),
        ({"quality": 101}, "quality must be from 1 to 100"),
        ({"quality": 7.5}, "quality must be an integer"),
        ({"subsampling": "4:1:1"}, "4:4:4, 4:2:2, 4:2:0, 4:4:0"),
        ({"restart_interval": -1}, "restart_interval"),
        ({"qtables": [[0] * 64]}, "from 1 to 255"),
        ({"qtables": [[1] * 63]}, "64 entries"),
    ],
)
def test_encode_rejects_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        cyjpeg.encode(synthetic_image(8, 8), **options)


def test_encode_accepts_any_strides_and_channel_axis():
    image = synthetic_image(40, 30)
    strided = np.asfortranarray(image)[::-1, ::2]
    assert pillow_decode(cyjpeg.encode(strided)).shape == (40, 15, 3)
    gray = synthetic_image(20, 20, channels=1)
    assert pillow_decode(cyjpeg.encode(gray[:, :, None])).shape == (20, 20)


def test_encode_pil_images():
    rgb = Image.fromarray(synthetic_image(24, 32))
    assert cyjpeg.encode(rgb) == cyjpeg.encode(np.asarray(rgb))
    rgba = Image.new("RGBA", (16, 16), (0, 0, 0, 0))  # fully transparent: composited onto white
    assert pillow_decode(cyjpeg.encode(rgba, quality=95)).min() >= 250
    assert pillow_decode(cyjpeg.encode(Image.new("P", (9, 9)))).shape == (9, 9, 3)
    assert pillow_decode(cyjpeg.encode(Image.new("I;16", (9, 9)))).shape == (9, 9)


def test_qtables_option_is_written_as_given():
    table = np.arange(1, 65).reshape(8, 8)
    data = cyjpeg.encode(synthetic_image(16, 16), qtables=[table, table[::-1]])
    with Image.open(io.BytesIO(data)) as image:
        written = image.quantization
    assert list(written[0]) == list(table.reshape(-1))
    assert list(written[1]) == list(table[::-1].reshape(-1))


def test_decode_accepts_bytes_like_objects():
    data = cyjpeg.encode(synthetic_image(16, 24))
    expected = cyjpeg.decode(data)
    assert np.array_equal(cyjpeg.decode(bytearray(data)), expected)
    assert np.array_equal(cyjpeg.decode(memoryview(data)), expected)
    assert np.array_equal(cyjpeg.decode(np.frombuffer(data, np.uint8)), expected)
    with pytest.raises(TypeError, match="bytes-like"):
        cyjpeg.decode("a string")


@pytest.mark.parametrize("subsampling", ["4:4:4", "4:2:2", "4:2:0", "4:4:0"])
def test_info_reads_headers(subsampling):
    data = cyjpeg.encode(synthetic_image(33, 17), subsampling=subsampling, restart_interval=3)
    header = cyjpeg.info(data)
    assert (header.width, header.height, header.components) == (17, 33, 3)
    assert header.subsampling == subsampling
    assert header.mode == "RGB"
    assert header.restart_interval == 3
    assert not header.progressive
    assert header.sof == 0xC0
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (header.width, header.height)


def test_info_grayscale_and_progressive_from_pillow():
    buffer = io.BytesIO()
    Image.fromarray(synthetic_image(20, 30, channels=1)).save(buffer, "JPEG", progressive=True)
    header = cyjpeg.info(buffer.getvalue())
    assert (header.width, header.height, header.components, header.mode) == (30, 20, 1, "L")
    assert header.progressive and header.sof == 0xC2
