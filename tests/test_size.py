"""The size-optimising path (issue 4): progressive, trellis, presets, target mode. Pillow is the oracle."""
import numpy as np
import pytest

import cyjpeg
from cyjpeg import _api, _size, _target, metrics
from conftest import kodak_photos, load_rgb, pillow_decode, pillow_encode, synthetic_image

SUBSAMPLINGS = ["4:4:4", "4:2:2", "4:2:0", "4:4:0"]
AWKWARD_SIZES = [(1, 1), (7, 9), (17, 33), (129, 258), (3, 1001)]


def sof_marker(data):
    return cyjpeg.info(data).sof


def cyjpeg_decode_or_skip(data):
    """cyjpeg's own decode; progressive decoding is issue 3 (another branch): skip until it lands."""
    try:
        return cyjpeg.decode(data)
    except cyjpeg.UnsupportedJpegError as error:
        pytest.skip(f"cyjpeg cannot decode progressive JPEGs yet (issue 3): {error}")


@pytest.fixture(scope="module")
def photo():
    return load_rgb(kodak_photos(1)[0])


# ---- the coefficient path reproduces the baseline encoder ------------------------------------------------

@pytest.mark.parametrize("subsampling", SUBSAMPLINGS)
@pytest.mark.parametrize("size", AWKWARD_SIZES)
def test_sequential_from_coefficients_equals_baseline_optimize(size, subsampling):
    """Same DCT, same rounding, same optimal tables: the coefficient path writes the baseline's bytes."""
    image = synthetic_image(*size, seed=size[0])
    h, v = _api.SUBSAMPLING_FACTORS[subsampling]
    expected = cyjpeg.encode(image, quality=80, subsampling=subsampling, optimize=True)
    settings = _size.Settings(progressive=False, tuned_tables=False)
    assert _size.encode(image, _api.quality_tables(80), h, v, settings) == expected


@pytest.mark.parametrize("subsampling", SUBSAMPLINGS)
@pytest.mark.parametrize("size", AWKWARD_SIZES + [(64, 64)])
def test_progressive_decodes_to_the_baseline_pixels(size, subsampling):
    image = synthetic_image(*size, seed=7)
    baseline = cyjpeg.encode(image, quality=75, subsampling=subsampling, optimize=True)
    progressive = cyjpeg.encode(image, quality=75, subsampling=subsampling, progressive=True)
    assert sof_marker(progressive) == 0xC2
    assert np.array_equal(pillow_decode(progressive), pillow_decode(baseline))
    assert np.array_equal(cyjpeg_decode_or_skip(progressive), pillow_decode(progressive))


def test_progressive_photo_is_smaller_and_identical(photo):
    baseline = cyjpeg.encode(photo, quality=75, optimize=True)
    progressive = cyjpeg.encode(photo, quality=75, progressive=True)
    assert np.array_equal(pillow_decode(progressive), pillow_decode(baseline))
    assert len(progressive) < len(baseline)


def test_progressive_grayscale():
    image = synthetic_image(45, 70, channels=1)
    data = cyjpeg.encode(image, quality=60, progressive=True)
    assert np.array_equal(pillow_decode(data), pillow_decode(cyjpeg.encode(image, quality=60, optimize=True)))


def test_progressive_decodes_in_cyjpeg(photo):
    data = cyjpeg.encode(photo[:96, :160], quality=75, progressive=True, trellis=True)
    assert np.array_equal(cyjpeg_decode_or_skip(data), pillow_decode(data))


def test_scan_script_search_and_custom_scripts(photo):
    tile = np.ascontiguousarray(photo[:128, :192])
    reference = pillow_decode(cyjpeg.encode(tile, quality=70, optimize=True))
    analysis = _size.Analysis(tile, 2, 2, False)
    planes = analysis.quantize(_api.quality_tables(70), _size.Settings(tuned_tables=False))
    searched = _size.search_script(planes, analysis.sampling, analysis.width, analysis.height)
    for script in (searched, _size.default_script(3), _size.fast_script(3)):
        data = cyjpeg.encode(tile, quality=70, scans=script)
        assert np.array_equal(pillow_decode(data), reference)
    searched_file = cyjpeg.encode(tile, quality=70, scans="search")
    assert np.array_equal(pillow_decode(searched_file), reference)
    assert len(searched_file) <= len(cyjpeg.encode(tile, quality=70, scans=_size.default_script(3)))


@pytest.mark.parametrize("script, problem", [
    ([((0, 1, 2), 0, 0, 0, 0), ((0,), 1, 63, 0, 0)], "incomplete"),
    ([((0,), 1, 63, 0, 0)], "before its DC"),
    ([((0, 1, 2), 0, 0, 0, 0), ((0, 1), 1, 63, 0, 0)], "exactly one component"),
    ([((0, 1, 2), 0, 0, 0, 1), ((0, 1, 2), 0, 0, 1, 1)], "Al = Ah - 1"),
    ([((0, 1, 2), 0, 5, 0, 0)], "Se = 0"),
])
def test_bad_scripts_are_refused(script, problem):
    with pytest.raises(ValueError, match=problem):
        cyjpeg.encode(synthetic_image(16, 16), scans=script)


# ---- trellis and presets ---------------------------------------------------------------------------------

def test_trellis_sequential_decodes_the_same_in_cyjpeg_and_pillow(photo):
    data = cyjpeg.encode(photo, quality=75, trellis=True)
    assert sof_marker(data) == 0xC0
    assert np.array_equal(cyjpeg.decode(data), pillow_decode(data))
    plain = cyjpeg.encode(photo, quality=75, optimize=True)
    assert len(data) < len(plain)
    # trellis trades a little error for bits; it must stay a small trade
    assert metrics.psnr(photo, pillow_decode(data)) > metrics.psnr(photo, pillow_decode(plain)) - 1.0


@pytest.mark.parametrize("preset", ["fast", "web", "max"])
def test_presets_decode(preset):
    for image in (synthetic_image(33, 47), synthetic_image(20, 9, channels=1), synthetic_image(1, 1)):
        data = cyjpeg.encode(image, quality=80, preset=preset)
        decoded = pillow_decode(data)
        assert decoded.shape == image.shape
        assert np.array_equal(cyjpeg_decode_or_skip(data), decoded)
        assert metrics.psnr(image, decoded) > 25


@pytest.mark.parametrize("preset", ["fast", "max"])
def test_presets_beat_pillow_progressive_at_equal_ssim(photo, preset):
    """Rate at equal quality: the preset's file against Pillow progressive+optimize at the lowest quality
    whose SSIM reaches the preset's."""
    ours = cyjpeg.encode(photo, quality=75, preset=preset)
    assert np.array_equal(cyjpeg_decode_or_skip(ours), pillow_decode(ours))
    our_ssim = metrics.ssim(photo, pillow_decode(ours))
    for quality in range(60, 101):
        theirs = pillow_encode(photo, quality=quality, optimize=True, progressive=True)
        if metrics.ssim(photo, pillow_decode(theirs)) >= our_ssim:
            break
    assert len(ours) < len(theirs)


def test_bad_size_options():
    image = synthetic_image(8, 8)
    with pytest.raises(ValueError, match="preset"):
        cyjpeg.encode(image, preset="tiny")
    with pytest.raises(ValueError, match="restart_interval"):
        cyjpeg.encode(image, preset="web", restart_interval=4)
    with pytest.raises(ValueError, match="target_ssim"):
        cyjpeg.encode(image, target_ssim=1.5)
    with pytest.raises(ValueError, match="qtables"):
        cyjpeg.encode(image, target_ssim=0.9, qtables=_api.quality_tables(50))


def test_default_encode_is_untouched_by_the_size_path(photo):
    assert cyjpeg.encode(photo) == pillow_encode(photo, quality=75)


# ---- target mode -----------------------------------------------------------------------------------------

def luma_ssim(image, data):
    """What target_ssim measures: SSIM of uint8 BT.601 luma, here with Pillow decoding."""
    return metrics.ssim(_target.luma(image), _target.luma(pillow_decode(data)))


def smallest_plain_quality(image, target, preset):
    """The smallest file among integer qualities (same preset) whose SSIM reaches the target."""
    low, high = 1, 100
    while low < high:                          # bisection, then walk down in case SSIM is not monotonic
        middle = (low + high) // 2
        data = cyjpeg.encode(image, quality=middle, preset=preset)
        if luma_ssim(image, data) >= target:
            high = middle
        else:
            low = middle + 1
    best = cyjpeg.encode(image, quality=low, preset=preset)
    for quality in range(low - 1, max(low - 4, 0), -1):
        data = cyjpeg.encode(image, quality=quality, preset=preset)
        if luma_ssim(image, data) >= target and len(data) < len(best):
            best = data
    return best


@pytest.mark.parametrize("index, target", [(0, 0.95), (4, 0.97), (12, 0.98)])
def test_target_ssim(index, target):
    photos = kodak_photos()
    image = load_rgb(photos[index % len(photos)])
    data = cyjpeg.encode(image, target_ssim=target, preset="fast")
    reached = luma_ssim(image, data)
    assert target <= reached <= target + 0.002
    assert len(data) <= len(smallest_plain_quality(image, target, "fast"))


def test_target_psnr(photo):
    data = cyjpeg.encode(photo, target_psnr=36.0, preset="fast")
    reached = metrics.psnr(_target.luma(photo), _target.luma(pillow_decode(data)))
    assert 36.0 <= reached <= 36.5


# ---- deringing -------------------------------------------------------------------------------------------

def product_shot(height=96, width=128):
    """A dark object with hard edges on pure white: the webshop's common case."""
    y, x = np.mgrid[0:height, 0:width]
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    body = ((x - 60) ** 2 / 30.0 ** 2 + (y - 48) ** 2 / 26.0 ** 2) < 1
    image[body] = (40, 60, 150)
    image[20:70, 95:105] = (20, 20, 20)
    # a lens's few pixels of blur, so edges ramp into the white as in photos (not 1-pixel steps)
    blurred = image.astype(float)
    for axis in (0, 1):
        for _ in range(2):
            blurred = (np.roll(blurred, 1, axis) + blurred + np.roll(blurred, -1, axis)) / 3
    image = np.clip(np.rint(blurred), 0, 255).astype(np.uint8)
    image[[0, -1], :] = image[:, [0, -1]] = 255   # the rolls wrapped around; the border is background
    return image


def test_float_dct_matches_the_integer_dct():
    from cyjpeg import _coefficients, _encoder

    rng = np.random.default_rng(3)
    for _ in range(20):
        block = rng.integers(0, 256, (8, 8)).astype(np.uint8)
        assert np.abs(_coefficients._float_fdct(block).astype(int) - _encoder._forward_dct(block)).max() <= 2


def test_deringing_lowers_error_beside_edges_on_white():
    image = product_shot()
    reference = _target.luma(image).astype(float)
    tables = _size.tuned_tables(50)
    plain = _size.encode(image, tables, 2, 2, _size.Settings())
    deringed = _size.encode(image, tables, 2, 2, _size.Settings(dering=True))
    plain_error = np.mean((_target.luma(pillow_decode(plain)) - reference) ** 2)
    deringed_error = np.mean((_target.luma(pillow_decode(deringed)) - reference) ** 2)
    assert deringed_error < 0.92 * plain_error
    assert len(deringed) <= 1.02 * len(plain)
