"""Image quality metrics used to judge encodes: PSNR and SSIM over uint8 images, computed in Cython.

Both agree with scikit-image's `peak_signal_noise_ratio` and `structural_similarity` (its defaults: 7x7
uniform window, sample covariance; colour images averaged over channels as with `channel_axis=-1`).
"""
from __future__ import annotations

import math

import numpy as np

from . import _metrics


def psnr(reference, test, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB over all samples; inf when the images are identical."""
    a, b = _pair(reference, test)
    squared_error = _metrics.squared_error_sum(a.reshape(-1), b.reshape(-1))
    if squared_error == 0:
        return math.inf
    return 10.0 * math.log10(data_range * data_range * a.size / squared_error)


def ssim(reference, test, data_range: float = 255.0) -> float:
    """Mean structural similarity (Wang et al. 2004), averaged over channels for colour images."""
    a, b = _pair(reference, test)
    channels = a.shape[2] if a.ndim == 3 else 1
    return _metrics.mean_ssim(a.reshape(a.shape[0], -1), b.reshape(b.shape[0], -1), channels, data_range)


def _pair(reference, test):
    a = np.ascontiguousarray(reference)
    b = np.ascontiguousarray(test)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise ValueError(f"metrics take uint8 images, got {a.dtype} and {b.dtype}")
    if a.ndim not in (2, 3):
        raise ValueError(f"images must be (H, W) or (H, W, C), got shape {a.shape}")
    return a, b
