"""Image quality metrics used to judge encodes: PSNR for now (SSIM arrives with the size work)."""
from __future__ import annotations

import math

import numpy as np


def psnr(reference, test, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB over all samples; inf when the images are identical."""
    reference = np.asarray(reference)
    test = np.asarray(test)
    if reference.shape != test.shape:
        raise ValueError(f"images differ in shape: {reference.shape} vs {test.shape}")
    diff = reference.astype(np.float64) - test.astype(np.float64)
    mse = float(np.mean(diff * diff))
    return math.inf if mse == 0 else 10.0 * math.log10(data_range * data_range / mse)
