"""The 1/8-scale (DC-only) decode path: bit-exact with Pillow's draft() on real photos in the layouts and table
kinds that take different routes through it (standard Huffman tables share cached skip tables, optimised
ones build their own; luma-only, 4:4:4, 4:2:2 and 4:2:0, where subsampled chroma is decoded at 2x2; restart
intervals), and damaged data: the MCUs before the damage are exactly the intact file's, and strict mode
names the damage."""
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cyjpeg
from cyjpeg import JpegError

KODAK = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "photos" / "kodak"
PHOTOS = sorted(KODAK.glob("kodim0[1-4].png"))
pytestmark = pytest.mark.skipif(not PHOTOS, reason="corpus photos not present")


def encode(path, mode="RGB", **options):
    buffer = io.BytesIO()
    Image.open(path).convert(mode).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def pillow_draft_8(data):
    image = Image.open(io.BytesIO(data))
    image.draft(image.mode, (image.width // 8, image.height // 8))
    assert image.size == (-(-Image.open(io.BytesIO(data)).width // 8), -(-Image.open(io.BytesIO(data)).height // 8))
    return np.asarray(image)


VARIANTS = {
    "q75 4:2:0": dict(quality=75, subsampling=2),
    "q95 4:2:0": dict(quality=95, subsampling=2),
    "q90 4:2:2": dict(quality=90, subsampling=1),
    "q90 4:4:4": dict(quality=90, subsampling=0),
    "q85 4:2:0 optimised tables": dict(quality=85, subsampling=2, optimize=True),
    "q98 4:4:4 optimised tables": dict(quality=98, subsampling=0, optimize=True),
    "q90 4:2:0 restart every 7 MCUs": dict(quality=90, subsampling=2, restart_marker_blocks=7),
    "q80 grayscale": dict(mode="L", quality=80),
    "q97 grayscale optimised tables": dict(mode="L", quality=97, optimize=True),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_scale_8_is_bit_exact_with_pillow_draft(variant):
    options = dict(VARIANTS[variant])
    mode = options.pop("mode", "RGB")
    for path in PHOTOS:
        data = encode(path, mode, **options)
        np.testing.assert_array_equal(cyjpeg.decode(data, scale=8), pillow_draft_8(data), err_msg=path.name)


def damaged_copies(data):
    """(name, bytes): the scan cut short, and one scan byte in the middle changed, for a file without 0xFF
    bytes near the change (so the change cannot make a marker)."""
    sos = data.index(b"\xff\xda")
    start = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
    end = len(data) - 2
    middle = (start + end) // 2
    while b"\xff" in data[middle - 2:middle + 3]:
        middle += 1
    flipped = bytearray(data)
    flipped[middle] ^= 0x5A
    return [("truncated", data[:middle]), ("one byte changed", bytes(flipped))]


@pytest.mark.parametrize("options", [dict(subsampling=2), dict(subsampling=0)], ids=["4:2:0", "4:4:4"])
def test_damaged_data_keeps_the_intact_mcus(options):
    data = encode(PHOTOS[0], quality=90, **options)
    intact = cyjpeg.decode(data, scale=8)
    mcu_rows = 2 if options["subsampling"] == 2 else 1      # output rows per MCU row at 1/8 scale
    for name, damaged in damaged_copies(data):
        try:
            cyjpeg.decode(damaged, scale=8)
        except JpegError as error:
            assert "truncated" in str(error) or "corrupt" in str(error), (name, str(error))
        else:
            # A changed byte may still decode as valid codes: then only the picture differs.
            assert name == "one byte changed"
        ours = cyjpeg.decode(damaged, scale=8, strict=False)
        assert ours.shape == intact.shape
        differs = np.flatnonzero((ours != intact).any(axis=(1, 2)))
        assert differs.size, name                               # the damage shows
        first_bad_row = differs[0]
        # Everything above the MCU row holding the damage is exactly the intact decode.
        good_rows = first_bad_row - first_bad_row % mcu_rows
        np.testing.assert_array_equal(ours[:good_rows], intact[:good_rows], err_msg=name)
        # And the rows of the same image decoded in full agree on what was lost (the same MCUs are grey).
        full = cyjpeg.decode(damaged, strict=False)
        grey = (full == 128).all(axis=2)
        if name == "truncated":
            assert grey[-8:].all() and (ours[-mcu_rows:] == 128).all()


def damage_report(data, scale, strict):
    """What decode says about damaged data: ("raises", message), ("warns", message) or ("clean", None)."""
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cyjpeg.decode(data, scale=scale, strict=strict)
        except JpegError as error:
            return ("raises", str(error))
    messages = [str(w.message) for w in caught if issubclass(w.category, cyjpeg.JpegWarning)]
    return ("warns", messages[0]) if messages else ("clean", None)


@pytest.mark.parametrize("options", [dict(subsampling=2), dict(subsampling=0), dict(subsampling=2, restart_interval=7)],
                         ids=["4:2:0", "4:4:4", "4:2:0-restarts"])
def test_damage_at_scale_8_is_judged_as_at_full_scale(options):
    # The 1/8 routine hands a damaged MCU back to the general loop, so concealment and its message (or the
    # strict error) are those of a full-scale decode of the same bytes.
    data = encode(PHOTOS[0], quality=90, **options)
    sos = data.find(b"\xff\xda")
    start = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
    seen = set()
    for offset in range(start + 40, len(data) - 2, (len(data) - start) // 23):
        if 0xFF in data[offset - 1:offset + 5]:
            continue
        flipped = bytearray(data)
        flipped[offset] ^= 0xA5
        ones = data[:offset] + b"\xff\x00\xff\x00" + data[offset + 4:]   # 16 one bits: no code of these tables
        for damaged in (bytes(flipped), ones, data[:offset]):
            for strict in (None, True):
                full = damage_report(damaged, 1, strict)
                assert damage_report(damaged, 8, strict) == full, (offset, strict)
                seen.add(full[0])
    assert {"warns", "raises"} <= seen


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("scale", [1, 2, 8])
def test_luma_plane_is_pillow_draft_l(variant, scale):
    # The perceptual hash's input: the Y plane of a YCbCr file, chroma read past. libjpeg gives the same
    # samples for Pillow's draft("L") (out_color_space GRAYSCALE takes Y as decoded).
    from cyjpeg import _api
    options = dict(VARIANTS[variant])
    data = encode(PHOTOS[1], options.pop("mode", "RGB"), **options)
    image = Image.open(io.BytesIO(data))
    image.draft("L", (image.width // scale, image.height // scale))
    assert image.mode == "L"
    ours, concealed = _api.decode_reporting_damage(data, scale=scale, luma=True)
    assert concealed == []
    np.testing.assert_array_equal(ours, np.asarray(image))


def test_luma_leaves_rgb_and_cmyk_frames_alone():
    from cyjpeg import _api
    rgb = np.asarray(Image.open(PHOTOS[0]).convert("RGB"))[:64, :64]
    data = cyjpeg.encode(rgb, quality=90)
    adobe_rgb = Image.new("RGB", (40, 24), (200, 30, 90))
    buffer = io.BytesIO()
    adobe_rgb.convert("CMYK").save(buffer, "JPEG", quality=90)
    for data, channels in ((data, None), (buffer.getvalue(), 4)):
        ours, _ = _api.decode_reporting_damage(data, luma=True)
        if channels is None:
            assert ours.ndim == 2 and ours.shape == rgb.shape[:2]
        else:
            np.testing.assert_array_equal(ours, cyjpeg.decode(data))
