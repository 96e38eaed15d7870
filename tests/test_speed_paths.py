"""The speed paths give the same output as the plain ones (issue 5): encode(threads=N) for any N, the AVX2
twins of the encoder's and the decoder's loops against their portable twins, and the SSE2 kernels (forward
DCT, quantization, inverse DCT) against the portable loops. Digests of the plain encoder's output are in
test_digests.py."""

import numpy as np
import pytest

import cyjpeg
from cyjpeg import _encoder
from conftest import KODAK, load_rgb, pillow_encode, synthetic_image

# Tall enough that threads > 1 really splits the image into bands (it stays serial below 2**18 pixels).
SHAPES = [(1040, 264), (777, 513), (600, 1001)]
OPTIONS = [
    {},
    {"subsampling": "4:4:4", "quality": 90},
    {"subsampling": "4:2:2"},
    {"subsampling": "4:4:0"},
    {"optimize": True},
    {"restart_interval": 7},                       # intervals that end mid-row and mid-band
    {"restart_interval": 1, "optimize": True},
    {"restart_interval": 33, "subsampling": "4:4:4"},
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("options", OPTIONS)
def test_threads_do_not_change_bytes(shape, options):
    image = synthetic_image(*shape, seed=shape[0])
    one = cyjpeg.encode(image, threads=1, **options)
    for threads in (2, 3, 4):
        assert cyjpeg.encode(image, threads=threads, **options) == one, threads


def test_threads_grayscale_and_band_split():
    image = synthetic_image(1200, 700, channels=1, seed=3)
    one = cyjpeg.encode(image, threads=1)
    assert cyjpeg.encode(image, threads=2) == one
    assert cyjpeg.encode(image, threads=5, optimize=True) == cyjpeg.encode(image, optimize=True)
    bands = _encoder.band_rows(150, 700, 1200, 2)
    assert len(bands) > 1 and bands[0][0] == 0 and bands[-1][1] == 150
    assert all(a[1] == b[0] for a, b in zip(bands, bands[1:]))


def test_concurrent_threaded_encodes():
    # Python threads each asking for threads=2 share the pool (and, when it is busy, code every band of their
    # own encode on the calling thread): every encode still gets its own bytes, merged in order.
    from concurrent.futures import ThreadPoolExecutor

    images = [synthetic_image(700, 520, seed=40 + i) for i in range(4)]
    options = [{}, {"restart_interval": 5}, {"optimize": True}, {"subsampling": "4:4:4"}]
    expected = [cyjpeg.encode(image, **options[i]) for i, image in enumerate(images)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: cyjpeg.encode(images[i % 4], threads=2, **options[i % 4]), range(24)))
    for i, result in enumerate(results):
        assert result == expected[i % 4], i


def test_threads_output_still_matches_pillow():
    image = synthetic_image(900, 800, seed=9)
    assert cyjpeg.encode(image, quality=75, threads=3) == pillow_encode(image, quality=75, subsampling="4:2:0")


def test_threads_must_be_positive():
    with pytest.raises(ValueError, match="threads"):
        cyjpeg.encode(np.zeros((8, 8, 3), np.uint8), threads=0)


@pytest.fixture
def portable_twin():
    previous = _encoder._set_simd(False)
    yield
    _encoder._set_simd(previous)


def encodes(images):
    return [cyjpeg.encode(image, **options) for image in images for options in OPTIONS]


def test_portable_twin_writes_the_same_bytes(portable_twin):
    if not _encoder._has_avx2_twin():
        pytest.skip("this CPU or build has no AVX2 twin: both paths are the portable one")
    images = [synthetic_image(h, w, seed=h) for h, w in [(1, 1), (7, 9), (17, 33), (258, 129), (300, 500)]]
    images.append(synthetic_image(61, 77, channels=1, seed=4))
    if KODAK.exists():
        images.append(load_rgb(KODAK / "kodim07.png"))
    portable = encodes(images)
    _encoder._set_simd(True)
    assert encodes(images) == portable


def test_sse2_dct_equals_portable_dct():
    rng = np.random.default_rng(5)
    blocks = [np.zeros((8, 8)), np.full((8, 8), 255), np.indices((8, 8)).sum(0) % 2 * 255,
              (1 - np.indices((8, 8)).sum(0) % 2) * 255, np.tile([0, 255], (8, 4)), np.tile([[0], [255]], (4, 8))]
    blocks += list(rng.integers(0, 256, (2000, 8, 8)))
    blocks += [rng.choice([0, 255], (8, 8)) for _ in range(500)]
    for block in blocks:
        block = np.asarray(block, np.uint8)
        assert np.array_equal(_encoder._forward_dct(block), _encoder._forward_dct(block, portable=True))


def test_sse2_quantize_equals_portable_quantize():
    rng = np.random.default_rng(6)
    for trial in range(3000):
        scale = [16, 200, 2000, 16383][trial % 4]
        coefs = rng.integers(-scale, scale + 1, (8, 8)).astype(np.int16)
        coefs[rng.random((8, 8)) < 0.5] = 0
        table = rng.integers(1, 256, 64).astype(np.uint16) if trial % 3 else np.ones(64, np.uint16)
        fast, fast_mask = _encoder._quantize(coefs, table)
        plain, plain_mask = _encoder._quantize(coefs, table, portable=True)
        assert np.array_equal(fast, plain) and fast_mask == plain_mask


def random_test_block(rng, trial):
    """A block of coefficients and its table for the inverse-DCT tests, one kind per trial in turn: photo-like,
    hostile, extreme and 16-bit-table blocks."""
    quant = rng.integers(1, 256, 64).astype(np.uint16)
    if trial % 4 == 0:        # photo-like: dequantized values within the 8-bit DCT range
        coefs = (rng.integers(-1024, 1024, 64) // quant).astype(np.int16)
        coefs[rng.random(64) < 0.6] = 0
    elif trial % 4 == 1:      # hostile: anything int16 holds
        coefs = rng.integers(-32768, 32768, 64).astype(np.int16)
    elif trial % 4 == 2:      # extremes that overflow only some paths (sums past 2**31)
        coefs = rng.choice(np.array([-32768, -1024, 0, 1023, 32767], np.int16), 64)
        quant = rng.integers(1, 4, 64).astype(np.uint16)
    else:                     # 16-bit tables (DQT precision 1) with entries above 2**15
        coefs = rng.integers(-4, 5, 64).astype(np.int16)
        quant = rng.integers(1, 65536, 64).astype(np.uint16)
    return coefs, quant


def test_sse2_idct_equals_scalar_idct_for_every_block():
    # Both compute in libjpeg-turbo's SIMD arithmetic (16-bit lanes where it has them), so even hostile blocks,
    # whose products and sums overflow int16, give the same bytes.
    from cyjpeg import _decoder
    if _decoder._idct_block(np.zeros(64), np.ones(64)) is None:
        pytest.skip("this build has no SSE2 kernels (not x86-64, or built with CYJPEG_NO_SIMD)")
    rng = np.random.default_rng(7)
    for trial in range(4000):
        coefs, quant = random_test_block(rng, trial)
        if (trial // 4) % 4 == 3:     # rows 1..7 zero: the pass-1 shortcut, with its wrapping shift
            coefs[8:] = 0
        fast = _decoder._idct_block(coefs, quant, simd=True)
        plain = _decoder._idct_block(coefs, quant, simd=False)
        assert fast is not None and np.array_equal(fast, plain), trial


def test_avx2_idct_pair_equals_scalar_idct_for_every_block():
    # The AVX2 twin transforms two full blocks at once, one per 128-bit lane: each must get the bytes it gets
    # alone, hostile blocks and the per-block pass-1 shortcut included (one block of a pair may take it alone).
    from cyjpeg import _decoder
    rng = np.random.default_rng(11)

    def block(kind):
        quant = rng.integers(1, 256, 64).astype(np.uint16)
        if kind == 0:             # photo-like
            coefs = (rng.integers(-1024, 1024, 64) // quant).astype(np.int16)
            coefs[rng.random(64) < 0.6] = 0
        elif kind == 1:           # hostile: anything int16 holds
            coefs = rng.integers(-32768, 32768, 64).astype(np.int16)
        elif kind == 2:           # 16-bit tables with entries above 2**15
            coefs = rng.integers(-4, 5, 64).astype(np.int16)
            quant = rng.integers(1, 65536, 64).astype(np.uint16)
        else:                     # rows 1..7 zero: the shortcut, with its wrapping shift
            coefs = rng.integers(-32768, 32768, 64).astype(np.int16)
            coefs[8:] = 0
        return coefs, quant

    if _decoder._idct_pair(*block(0), *block(0)) is None:
        pytest.skip("this CPU or build has no AVX2 twin")
    for trial in range(3000):
        (ca, qa), (cb, qb) = block(trial % 4), block((trial // 4) % 4)
        pair_a, pair_b = _decoder._idct_pair(ca, qa, cb, qb)
        assert np.array_equal(pair_a, _decoder._idct_block(ca, qa, simd=False)), trial
        assert np.array_equal(pair_b, _decoder._idct_block(cb, qb, simd=False)), trial


@pytest.mark.parametrize("kernel", ["4x4", "2x2"])
def test_sse2_reduced_idct_equals_scalar_one_for_every_block(kernel):
    # Scale 1/2 transforms each block to 4x4 samples, 1/4 to 2x2, in SSE2 lanes where there are and in the
    # scalar form elsewhere: both in libjpeg-turbo's SIMD arithmetic, so the bytes must agree for any input,
    # including the wrapping 32-bit sums and the 4x4 transform's 16-bit shortcut for blocks whose rows 1, 2,
    # 3, 5, 6, 7 are zero.
    from cyjpeg import _decoder
    rng = np.random.default_rng(17)
    if _decoder._idct_block(np.zeros(64), np.ones(64), kernel=kernel) is None:
        pytest.skip("this build has no SSE2 kernels (not x86-64, or built with CYJPEG_NO_SIMD)")
    for trial in range(6000):
        coefs, quant = random_test_block(rng, trial)
        if (trial // 4) % 4 == 3:     # only rows 0 and 4: the 4x4 pass-1 shortcut, with its wrapping shift
            coefs[8:32] = 0
            coefs[40:] = 0
        fast = _decoder._idct_block(coefs, quant, simd=True, kernel=kernel)
        assert np.array_equal(fast, _decoder._idct_block(coefs, quant, simd=False, kernel=kernel)), trial


@pytest.mark.parametrize("kernel", ["4x4", "2x2"])
def test_reduced_dc_only_shortcut_equals_the_transform(kernel):
    # A block with only its DC set (most chroma blocks, every block of a flat image) fills its samples with
    # one value instead of running the transform.
    from cyjpeg import _decoder
    rng = np.random.default_rng(19)
    for trial in range(3000):
        coefs, quant = random_test_block(rng, trial)
        coefs[1:] = 0
        expected = _decoder._idct_block(coefs, quant, simd=False, kernel=kernel)
        assert np.array_equal(_decoder._idct_block(coefs, quant, kernel=f"{kernel} dc"), expected), trial


def test_low_frequency_2x2_idct_equals_the_general_one():
    # At 1/8 scale a 4:2:0 chroma block is transformed to 2x2 samples; one that ends at zigzag position 4 takes
    # a kernel for its four coefficients that reach the output. It must give the same bytes, hostile blocks
    # included.
    from cyjpeg import _decoder
    rng = np.random.default_rng(13)
    low_positions = [1, 8, 16, 9]     # zigzag 1..4 in natural order: (0,1), (1,0), (2,0), (1,1)
    for trial in range(4000):
        coefs = np.zeros(64, np.int16)
        quant = rng.integers(1, 256, 64).astype(np.uint16)
        if trial % 3 == 0:        # photo-like
            values = rng.integers(-1024, 1024, 5) // quant[[0] + low_positions]
        elif trial % 3 == 1:      # hostile: anything int16 holds
            values = rng.integers(-32768, 32768, 5)
        else:                     # 16-bit tables with entries above 2**15
            values = rng.integers(-32768, 32768, 5)
            quant = rng.integers(1, 65536, 64).astype(np.uint16)
        values[rng.random(5) < 0.4] = 0
        coefs[[0] + low_positions] = values
        low = _decoder._idct_block(coefs, quant, kernel="2x2 low")
        assert np.array_equal(low, _decoder._idct_block(coefs, quant, simd=False, kernel="2x2")), trial


def test_decoder_twins_give_the_same_pixels():
    from cyjpeg import _decoder
    if not _encoder._has_avx2_twin():
        pytest.skip("this CPU or build has no AVX2 twin: both paths are the portable one")
    images = [synthetic_image(h, w, seed=h) for h, w in [(1, 1), (17, 33), (258, 129), (300, 500)]]
    datas = [cyjpeg.encode(image, subsampling=sub, restart_interval=ri)
             for image in images for sub in ("4:4:4", "4:2:2", "4:2:0", "4:4:0") for ri in (0, 5)]
    datas.append(cyjpeg.encode(synthetic_image(61, 77, channels=1, seed=4)))
    previous = _decoder._set_simd(False)
    try:
        portable = [cyjpeg.decode(data) for data in datas]
    finally:
        _decoder._set_simd(previous)
    _decoder._set_simd(True)
    for data, expected in zip(datas, portable):
        assert np.array_equal(cyjpeg.decode(data), expected)
