"""cyjpeg.metrics against scikit-image (issue 4: agree to 1e-3)."""
import numpy as np
import pytest

from cyjpeg import metrics
from conftest import synthetic_image

skimage_metrics = pytest.importorskip("skimage.metrics")


def noisy_pair(shape, seed):
    rng = np.random.default_rng(seed)
    a = synthetic_image(shape[0], shape[1], channels=shape[2] if len(shape) == 3 else 1, seed=seed)
    b = np.clip(a.astype(int) + rng.integers(-20, 21, size=a.shape), 0, 255).astype(np.uint8)
    return a, b


@pytest.mark.parametrize("shape", [(7, 7), (30, 41), (64, 48, 3), (101, 9, 3)])
def test_ssim_matches_scikit_image(shape):
    a, b = noisy_pair(shape, seed=sum(shape))
    channel_axis = -1 if len(shape) == 3 else None
    expected = skimage_metrics.structural_similarity(a, b, data_range=255, channel_axis=channel_axis)
    assert metrics.ssim(a, b) == pytest.approx(expected, abs=1e-3)
    assert metrics.ssim(a, a) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("shape", [(1, 1), (30, 41), (64, 48, 3)])
def test_psnr_matches_scikit_image(shape):
    a, b = noisy_pair(shape, seed=3)
    if not np.array_equal(a, b):
        expected = skimage_metrics.peak_signal_noise_ratio(a, b, data_range=255)
        assert metrics.psnr(a, b) == pytest.approx(expected, abs=1e-3)
    assert metrics.psnr(a, a) == float("inf")


def test_metrics_reject_mismatched_inputs():
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.ssim(np.zeros((8, 8), np.uint8), np.zeros((8, 9), np.uint8))
    with pytest.raises(ValueError, match="at least 7x7"):
        metrics.ssim(np.zeros((6, 8), np.uint8), np.zeros((6, 8), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        metrics.psnr(np.zeros((8, 8)), np.zeros((8, 8)))
