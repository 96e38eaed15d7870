"""Metadata written by encode() (EXIF, ICC profile, comment) as Pillow and cyjpeg.info read it back."""
import io

import numpy as np
import pytest
from PIL import Image, ImageCms

import cyjpeg
from conftest import pillow_decode, synthetic_image


def pillow_exif(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "cyjpeg test camera"
    return exif.tobytes()


@pytest.mark.parametrize("icc_size", [0, 3000, 150_000])  # none, one APP2 segment, three chunks
def test_metadata_roundtrip(icc_size):
    rng = np.random.default_rng(icc_size)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes() if icc_size == 3000 else (
        rng.integers(0, 256, icc_size, dtype=np.uint8).tobytes())
    image = synthetic_image(20, 30)
    exif = pillow_exif(6)
    data = cyjpeg.encode(image, icc_profile=icc or None, exif=exif, comment="made by cyjpeg ✓")
    with Image.open(io.BytesIO(data)) as read:
        assert read.info.get("icc_profile") == (icc or None)
        assert read.getexif()[0x0112] == 6
        assert read.getexif()[0x010F] == "cyjpeg test camera"
        assert read.info["comment"] == "made by cyjpeg ✓".encode()
        assert np.array_equal(np.asarray(read), pillow_decode(cyjpeg.encode(image)))  # pixels untouched
    header = cyjpeg.info(data)
    assert header.icc_profile == (icc or None)
    assert header.exif == read.info["exif"]
    assert header.orientation == 6
    assert header.comment == "made by cyjpeg ✓".encode()


def test_exif_prefix_is_added_when_missing():
    bare = pillow_exif(3)[6:] if pillow_exif(3).startswith(b"Exif") else pillow_exif(3)
    data = cyjpeg.encode(synthetic_image(8, 8), exif=bare)
    assert cyjpeg.info(data).orientation == 3


def test_oversized_metadata_is_refused():
    with pytest.raises(ValueError, match="exif is .* at most 65533"):
        cyjpeg.encode(synthetic_image(8, 8), exif=b"Exif\x00\x00" + bytes(70_000))
    with pytest.raises(ValueError, match="comment is .* at most 65533"):
        cyjpeg.encode(synthetic_image(8, 8), comment=bytes(70_000))
    with pytest.raises(ValueError, match="icc_profile must be bytes"):
        cyjpeg.encode(synthetic_image(8, 8), icc_profile=12)
