"""Encoder kernels in isolation: forward DCT, quantization + zigzag, optimal Huffman tables."""
import numpy as np
import pytest

from cyjpeg import _encoder
from cyjpeg._tables import ZIGZAG

# Orthonormal DCT-II basis (T.81 A.3.3): row u holds C(u)/2 * cos((2x+1) u pi / 16).
BASIS = np.array([[(np.sqrt(0.5) if u == 0 else 1.0) * np.cos((2 * x + 1) * u * np.pi / 16) / 2
                   for x in range(8)] for u in range(8)])


def float_dct(block):
    return BASIS @ (block.astype(np.float64) - 128) @ BASIS.T


def test_forward_dct_matches_float_dct():
    rng = np.random.default_rng(0)
    blocks = [rng.integers(0, 256, (8, 8)), np.zeros((8, 8)), np.full((8, 8), 255)]
    blocks += [np.clip(128 + np.add.outer(np.arange(8) * a, np.arange(8) * b) + rng.normal(0, 4, (8, 8)), 0, 255)
               for a, b in rng.integers(-30, 30, (50, 2))]
    for block in blocks:
        block = block.astype(np.uint8)
        # islow output is 8x the DCT; 13-bit constants and two roundings leave errors just over 1 unit.
        assert np.abs(_encoder._forward_dct(block) - 8 * float_dct(block)).max() < 1.5


def test_forward_dct_of_flat_block_is_dc_only():
    coefs = _encoder._forward_dct(np.full((8, 8), 200, np.uint8))
    assert coefs[0, 0] == 8 * 8 * (200 - 128)
    assert not coefs.reshape(-1)[1:].any()


def test_quantize_rounds_half_away_from_zero_in_zigzag_order():
    rng = np.random.default_rng(1)
    for _ in range(200):
        coefs = rng.integers(-16000, 16000, (8, 8)).astype(np.int32)
        table = rng.integers(1, 256, 64).astype(np.uint16)
        zz, mask = _encoder._quantize(coefs, table)
        divisor = 8 * table.astype(np.int64)
        natural = coefs.reshape(-1).astype(np.int64)
        expected = np.sign(natural) * ((np.abs(natural) + divisor // 2) // divisor)
        assert zz.tolist() == expected[list(ZIGZAG)].tolist()
        assert mask == sum(1 << k for k in range(64) if zz[k] != 0)


def kraft_codes(bits):
    return sum(count * 2.0 ** -(length + 1) for length, count in enumerate(bits))


@pytest.mark.parametrize("seed", range(5))
def test_optimal_table_is_complete_minus_all_ones_and_length_limited(seed):
    rng = np.random.default_rng(seed)
    counts = np.zeros(256, np.int64)
    used = rng.choice(256, size=rng.integers(1, 256), replace=False)
    counts[used] = (rng.pareto(0.7, used.size) * 10 + 1).astype(np.int64)  # skewed: forces long codes
    bits, values = _encoder._optimal_table(counts)
    assert sorted(values) == sorted(used.tolist())
    assert sum(bits) == len(values) and len(bits) == 16
    # All lengths <= 16 and the code space is full except the one all-ones code word (T.81 C.2 note).
    longest = max(i + 1 for i, b in enumerate(bits) if b)
    assert kraft_codes(bits) == 1 - 2.0 ** -longest


def test_optimal_table_prefers_frequent_symbols():
    counts = np.zeros(256, np.int64)
    counts[[0, 1, 2, 3]] = [1000, 10, 10, 1]
    bits, values = _encoder._optimal_table(counts)
    assert values[0] == 0 and bits[0] == 1
