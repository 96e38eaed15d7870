"""Target-quality encoding: the smallest file whose SSIM (or PSNR) against the input reaches a target.

Owns the search only. The image is colour-converted and transformed once (cyjpeg._size.Analysis keeps the
DCT coefficients); each try re-quantizes those coefficients at another quality, writes a sequential file
with optimal tables (fast, and the same pixels as any scan script would give), decodes it with cyjpeg and
measures it with cyjpeg.metrics. The measure is taken on the samples as given: for RGB input the mean SSIM
(or the PSNR) over the R, G and B channels, for grayscale the one channel; i.e. exactly
`cyjpeg.metrics.ssim(image, cyjpeg.decode(result))`.

Quality is searched as a real number (the tables scale continuously), by bisection between a quality that
misses the target and one that reaches it, so the result lands just above the target; the best try that
reaches it is kept, and the integer qualities around it are tried too, so the file is never larger than
the smallest plain-quality encode (same preset) that reaches the target. If even quality 100 misses the
target, the quality-100 file is returned.
"""
from __future__ import annotations

import math

from . import _decoder, _size, metrics
from .errors import JpegError

BISECTION_STEPS = 9          # quality resolution 100 / 2**9 ~ 0.2


def encode_to_target(pixels, h_samp, v_samp, preset, target_ssim, target_psnr, tables_free, tables, segments):
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
    settings = _size.settings_for(preset)
    analysis = _size.Analysis(pixels, h_samp, v_samp, settings.adaptive and settings.trellis_passes > 0)
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
            value = measure(pixels, decoded)
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
