"""Target-quality encoding: the smallest file whose SSIM (or PSNR) against the input reaches a target.

Owns the search only. The image is colour-converted and transformed once (cyjpeg._size.Analysis keeps the
DCT coefficients); each try re-quantizes those coefficients at another quality, writes a sequential file
with optimal tables (fast, and the same pixels as any scan script would give), decodes it with cyjpeg and
measures it with cyjpeg.metrics. The measure is taken on luma: BT.601 Y = 0.299 R + 0.587 G + 0.114 B
rounded to uint8 (grayscale input as it is), for SSIM and PSNR alike, i.e.
`cyjpeg.metrics.ssim(luma(image), luma(decoded))` -- the same definition as cyjpeg.store's reports and
the benchmarks. Luma rather than the mean over R, G, B: 4:2:0 chroma subsampling alone costs RGB-channel
SSIM a few hundredths on noisy photos at any quality, which is not what a viewer sees.

Quality is searched as a real number (the tables scale continuously), by bisection between a quality that
misses the target and one that reaches it, so the result lands just above the target; the best try that
reaches it is kept, and the integer qualities around it are tried too, so the file is never larger than
the smallest plain-quality encode (same preset) that reaches the target. If even quality 100 misses the
target, the quality-100 file is returned.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import _decoder, _size, metrics
from .errors import JpegError

BISECTION_STEPS = 9          # quality resolution 100 / 2**9 ~ 0.2
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)   # BT.601 / JFIF


def luma(pixels):
    """uint8 BT.601 luma of an RGB image (a grayscale image is returned as it is)."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        return pixels
    return np.clip(np.rint(pixels.astype(np.float32) @ LUMA_WEIGHTS), 0, 255).astype(np.uint8)


def encode_to_target(pixels, h_samp, v_samp, preset, progressive, target_ssim, target_psnr, tables_free, segments):
    if (target_ssim is None) == (target_psnr is None):
        raise ValueError("give one of target_ssim and target_psnr")
    if not tables_free:
        raise ValueError("target_ssim/target_psnr choose the quantization tables; do not pass qtables")
    if target_ssim is not None:
        target = float(target_ssim)
        if not 0.0 < target < 1.0:
            raise ValueError(f"target_ssim must be between 0 and 1, got {target_ssim!r}")
        measure = metrics.ssim
    else:
        target = float(target_psnr)
        if not 0.0 < target <= 99.0 or math.isnan(target):
            raise ValueError(f"target_psnr must be a positive number of dB up to 99, got {target_psnr!r}")
        measure = metrics.psnr
    if preset is None:
        # Sequential unless asked: every decoder, cyjpeg's own included until it decodes progressive files
        # (issue 3), reads it; the quantization is the "web" preset's.
        settings = dataclasses.replace(_size.settings_for("web"), progressive=progressive)
    else:
        settings = _size.settings_for(preset, progressive)
    reference = luma(pixels)
    analysis = _size.Analysis(pixels, h_samp, v_samp, settings.adaptive and settings.trellis_passes > 0,
                              settings.dering)
    tries = {}   # quality -> (reaches target, size, planes, tables)

    def table_for(quality):
        return _size.tuned_tables(quality) if settings.tuned_tables else _size.standard_tables(quality)

    def attempt(quality):
        if quality not in tries:
            qtables = table_for(quality)
            planes = analysis.quantize(qtables, settings)
            data = analysis.write(planes, qtables, _size.Settings(progressive=False))
            try:
                decoded = _decoder.decode_image(data)
            except JpegError as error:  # cannot happen for our own sequential output
                raise RuntimeError(f"target search could not decode its own output: {error}") from None
            value = measure(reference, luma(decoded))
            tries[quality] = (value >= target, len(data), planes, qtables)
        return tries[quality][0]

    low, high = 1.0, 100.0
    if attempt(high):
        if attempt(low):
            high = low
        else:
            for _ in range(BISECTION_STEPS):
                middle = (low + high) / 2
                if attempt(middle):
                    high = middle
                else:
                    low = middle
            for quality in (math.floor(high), math.ceil(high)):
                attempt(float(min(max(quality, 1), 100)))
    passing = [(size, quality) for quality, (ok, size, _, _) in tries.items() if ok]
    if passing:
        quality = min(passing)[1]
    else:
        quality = high
    _, _, planes, qtables = tries[quality]
    return analysis.write(planes, qtables, settings, segments)
