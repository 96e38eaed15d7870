# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Image -> DCT coefficient planes, and the quantizers that turn them into what cyjpeg._progressive codes.

Owns the coefficient path of the size-optimising encoder: colour conversion and down-sampling into padded
component planes (the kernels of _color.pxd, with the same edge padding as cyjpeg._encoder, so the
coefficients equal the baseline encoder's and, for the same tables and plain rounding, so do the files'
pixels), the forward DCT of every block (_fdct.pxd), a per-block masking measure for adaptive
quantization (_adaptive.pxd), plain quantization, and trellis quantization (_trellis.pxd).

The coefficients are kept (int16, natural order, scaled by 8 like libjpeg's) so that the target-quality
search and the trellis passes quantize again without redoing colour conversion and DCT. Memory: 2 bytes per
component sample, i.e. 3 bytes per pixel for 4:2:0 colour (6 for 4:4:4), plus 1.5 bytes per pixel of
temporary sample planes, plus the quantized planes (same size as the coefficients).
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int16_t, int32_t, int64_t, uint64_t
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy
from libc.math cimport sqrt, cos, M_PI

from cyjpeg._tables cimport ZIGZAG_TO_NATURAL
from cyjpeg._color cimport rgb_row_to_ycc, gray_row, downsample_h2v1, downsample_h2v2, downsample_h1v2
from cyjpeg._fdct cimport fdct_islow
from cyjpeg._trellis cimport trellis_block
from cyjpeg._adaptive cimport block_activity, dering_samples

import numpy as np


cdef inline int imin(int a, int b) noexcept nogil:
    return a if a < b else b


def sample_planes(pixels, int h_samp, int v_samp):
    """Colour-convert and down-sample to padded uint8 planes [(rows, cols)], each a whole number of MCUs.

    Padding as cyjpeg._encoder does it (libjpeg's): columns replicate the last pixel; rows below the image
    repeat the last row at full resolution, and a down-sampled row that starts below the image repeats the
    last down-sampled row.
    """
    cdef const uint8_t[:, ::1] gray
    cdef const uint8_t[:, :, ::1] rgb
    cdef int height = pixels.shape[0], width = pixels.shape[1]
    cdef int mcus_x, mcus_y, luma_w, luma_h, chroma_w, chroma_h, r, src, last_chroma_row, row0, row1
    cdef uint8_t[:, ::1] y_plane
    cdef uint8_t[:, ::1] cb_full
    cdef uint8_t[:, ::1] cr_full
    cdef uint8_t[:, ::1] cb_plane
    cdef uint8_t[:, ::1] cr_plane
    if pixels.ndim == 2:
        h_samp = v_samp = 1
    mcus_x = (width + 8 * h_samp - 1) // (8 * h_samp)
    mcus_y = (height + 8 * v_samp - 1) // (8 * v_samp)
    luma_w, luma_h = mcus_x * 8 * h_samp, mcus_y * 8 * v_samp
    y_array = np.empty((luma_h, luma_w), dtype=np.uint8)
    y_plane = y_array
    if pixels.ndim == 2:
        gray = pixels
        with nogil:
            for r in range(luma_h):
                gray_row(&gray[imin(r, height - 1), 0], width, luma_w, &y_plane[r, 0])
        return [y_array]
    rgb = pixels
    chroma_w, chroma_h = mcus_x * 8, mcus_y * 8
    full_cb = np.empty((luma_h, luma_w), dtype=np.uint8)
    full_cr = np.empty((luma_h, luma_w), dtype=np.uint8)
    cb_full = full_cb
    cr_full = full_cr
    cb_array = np.empty((chroma_h, chroma_w), dtype=np.uint8)
    cr_array = np.empty((chroma_h, chroma_w), dtype=np.uint8)
    cb_plane = cb_array
    cr_plane = cr_array
    last_chroma_row = (height - 1) // v_samp
    with nogil:
        for r in range(luma_h):
            src = imin(r, height - 1)
            rgb_row_to_ycc(&rgb[src, 0, 0], width, luma_w, &y_plane[r, 0], &cb_full[r, 0], &cr_full[r, 0])
        if h_samp == 1 and v_samp == 1:
            pass
        else:
            for r in range(chroma_h):
                if r > last_chroma_row:
                    memcpy(&cb_plane[r, 0], &cb_plane[r - 1, 0], chroma_w)
                    memcpy(&cr_plane[r, 0], &cr_plane[r - 1, 0], chroma_w)
                    continue
                row0 = r * v_samp
                row1 = row0 + v_samp - 1
                if v_samp == 1:
                    downsample_h2v1(&cb_full[row0, 0], chroma_w, &cb_plane[r, 0])
                    downsample_h2v1(&cr_full[row0, 0], chroma_w, &cr_plane[r, 0])
                elif h_samp == 2:
                    downsample_h2v2(&cb_full[row0, 0], &cb_full[row1, 0], chroma_w, &cb_plane[r, 0])
                    downsample_h2v2(&cr_full[row0, 0], &cr_full[row1, 0], chroma_w, &cr_plane[r, 0])
                else:
                    downsample_h1v2(&cb_full[row0, 0], &cb_full[row1, 0], chroma_w, &cb_plane[r, 0])
                    downsample_h1v2(&cr_full[row0, 0], &cr_full[row1, 0], chroma_w, &cr_plane[r, 0])
    if h_samp == 1 and v_samp == 1:
        return [y_array, full_cb, full_cr]
    return [y_array, cb_array, cr_array]


def forward_dct(plane, int blocks_w, int blocks_h):
    """DCT of the top-left blocks_h x blocks_w blocks of a padded uint8 plane: int16 (bh, bw, 64), natural
    order, scaled by 8 (identical to the baseline encoder's DCT outputs)."""
    cdef const uint8_t[:, ::1] samples = plane
    cdef int bx, by
    cdef int stride = samples.shape[1]
    cdef int16_t work[128]
    coefs = np.empty((blocks_h, blocks_w, 64), dtype=np.int16)
    cdef int16_t[:, :, ::1] out = coefs
    if blocks_h * 8 > samples.shape[0] or blocks_w * 8 > stride:
        raise ValueError("plane too small for the blocks asked for")
    with nogil:
        for by in range(blocks_h):
            for bx in range(blocks_w):
                fdct_islow(&samples[by * 8, bx * 8], stride, work, &out[by, bx, 0])
    return coefs


def activity(plane, int blocks_w, int blocks_h):
    """Per-block masking measure of a uint8 plane (see _adaptive.pxd): float32 (bh, bw)."""
    cdef const uint8_t[:, ::1] samples = plane
    cdef int bx, by
    cdef int stride = samples.shape[1]
    result = np.empty((blocks_h, blocks_w), dtype=np.float32)
    cdef float[:, ::1] out = result
    with nogil:
        for by in range(blocks_h):
            for bx in range(blocks_w):
                out[by, bx] = block_activity(&samples[by * 8, bx * 8], stride)
    return result


cdef double DCT_BASIS[64]    # DCT_BASIS[8 * u + x] = c(u) cos((2x + 1) u pi / 16), orthonormal (T.81 A.3.3)


cdef void make_dct_basis() noexcept nogil:
    cdef int u, x
    for u in range(8):
        for x in range(8):
            DCT_BASIS[8 * u + x] = (sqrt(0.125) if u == 0 else 0.5) * cos((2 * x + 1) * u * M_PI / 16.0)


make_dct_basis()


cdef void float_fdct(const double* samples, int16_t* coefs) noexcept nogil:
    """T.81 A.3.3 FDCT of 64 real samples (row-major, 0..255 range and beyond), scaled by 8 and rounded like
    the integer DCT's output, for the few blocks whose samples leave 0..255 (deringing)."""
    cdef double rows[64]
    cdef double total
    cdef int u, v, x, y
    for y in range(8):
        for v in range(8):
            total = 0.0
            for x in range(8):
                total += DCT_BASIS[8 * v + x] * (samples[8 * y + x] - 128.0)
            rows[8 * y + v] = total
    for u in range(8):
        for v in range(8):
            total = 0.0
            for y in range(8):
                total += DCT_BASIS[8 * u + y] * rows[8 * y + v]
            total *= 8.0
            coefs[8 * u + v] = <int16_t>(total + 0.5 if total >= 0 else total - 0.5)


def dering(coefs, plane, int blocks_w, int blocks_h):
    """Replace, in place, the DCT of blocks that mix saturated and other samples by the DCT of their
    deringed samples (_adaptive.pxd). Returns the number of blocks changed."""
    cdef const uint8_t[:, ::1] samples = plane
    cdef int16_t[:, :, ::1] out = coefs
    cdef int bx, by, changed = 0
    cdef int stride = samples.shape[1]
    cdef double block[64]
    if out.shape[0] != blocks_h or out.shape[1] != blocks_w or blocks_h * 8 > samples.shape[0]:
        raise ValueError("coefficient plane and sample plane disagree")
    with nogil:
        for by in range(blocks_h):
            for bx in range(blocks_w):
                if dering_samples(&samples[by * 8, bx * 8], stride, block):
                    float_fdct(block, &out[by, bx, 0])
                    changed += 1
    return changed


def _float_fdct(samples):
    """Test access to float_fdct: (8, 8) samples -> int16 (8, 8)."""
    cdef double block[64]
    cdef int k
    values = np.asarray(samples, dtype=np.float64).reshape(64)
    for k in range(64):
        block[k] = values[k]
    result = np.empty(64, dtype=np.int16)
    cdef int16_t[::1] view = result
    float_fdct(block, &view[0])
    return result.reshape(8, 8)


cdef inline void make_divisors(qtable, int32_t* divisors):
    cdef int k
    for k in range(64):
        divisors[k] = 8 * int(qtable[k])


def quantize(coefs, qtable, masks=None):
    """Plain quantization (round half away from zero of coef / (8 Q), as libjpeg) into zigzag order.

    masks: optional uint64 array with one entry per block, filled with the zigzag nonzero bitmaps that
    cyjpeg._progressive would otherwise compute in a pass of its own.
    """
    cdef const int16_t[:, :, ::1] src = coefs
    cdef int32_t divisors[64]
    cdef double inverse[64]
    cdef double half[64]
    cdef Py_ssize_t n = src.shape[0] * src.shape[1], b
    cdef int k
    cdef uint64_t bits
    cdef uint64_t* mask_out = NULL
    cdef uint64_t[::1] mask_view
    make_divisors(np.asarray(qtable).reshape(-1), divisors)
    for k in range(64):
        inverse[k] = 1.0 / divisors[k]
        half[k] = (divisors[k] >> 1) * inverse[k] + 1e-7
    if masks is not None:
        mask_view = masks
        if mask_view.shape[0] < n:
            raise ValueError("masks needs one entry per block")
        mask_out = &mask_view[0]
    result = np.empty((src.shape[0], src.shape[1], 64), dtype=np.int16)
    cdef int16_t[:, :, ::1] out = result
    cdef const int16_t* s
    cdef int16_t* o
    cdef int32_t magnitude[64]
    cdef int32_t quotient[64]
    if n == 0:
        return result
    with nogil:
        for b in range(n):
            s = &src[0, 0, 0] + b * 64
            o = &out[0, 0, 0] + b * 64
            # (|x| + d/2) // d by a multiply, in natural order so the loop runs in vector lanes: when the
            # quotient is not a whole number its fraction is at least 1/d (d <= 2040), so the tiny bias in
            # `half` only protects exact whole quotients from rounding error.
            for k in range(64):
                magnitude[k] = s[k] if s[k] >= 0 else -s[k]
            for k in range(64):
                quotient[k] = <int32_t>(magnitude[k] * inverse[k] + half[k])
            for k in range(64):
                quotient[k] = -quotient[k] if s[k] < 0 else quotient[k]
            bits = 0
            for k in range(64):
                o[k] = <int16_t>quotient[ZIGZAG_TO_NATURAL[k]]
                bits |= (<uint64_t>(o[k] != 0)) << k
            if mask_out != NULL:
                mask_out[b] = bits
    return result


cdef inline int16_t round_quotient(int32_t x, double inverse, int32_t divisor) noexcept nogil:
    # (|x| + d/2) // d by a multiply: when the quotient is not a whole number its fraction is at least 1/d
    # (d <= 2040), so the tiny bias only protects exact whole quotients from rounding error.
    cdef int32_t magnitude = -x if x < 0 else x
    cdef int32_t q = <int32_t>((magnitude + (divisor >> 1)) * inverse + 1e-7)
    return <int16_t>(-q if x < 0 else q)


def trellis(coefs, qtable, ac_lengths, double lam, weights=None, masks=None):
    """Trellis-quantize every block (AC; DC rounded) into zigzag order.

    ac_lengths: uint8 (256,) code lengths of the AC table this component uses; lam: bits-to-distortion
    price (distortion in quantizer steps squared); weights: optional float32 (bh, bw) per-block multipliers
    of lam (adaptive quantization: > 1 where texture masks the error, so more is zeroed there); masks:
    optional uint64 array, one per block, filled with the zigzag nonzero bitmaps.
    """
    cdef const int16_t[:, :, ::1] src = coefs
    cdef const uint8_t[::1] lengths = np.ascontiguousarray(ac_lengths, dtype=np.uint8)
    cdef int32_t divisors[64]
    cdef double inverse[64]
    cdef Py_ssize_t n = src.shape[0] * src.shape[1], b
    cdef int k
    cdef const float* w = NULL
    cdef const float[:, ::1] wview
    cdef uint64_t* mask_out = NULL
    cdef uint64_t[::1] mask_view
    cdef uint64_t bits
    cdef double inverse_natural[64]
    cdef double peak, scaled
    make_divisors(np.asarray(qtable).reshape(-1), divisors)
    for k in range(64):
        inverse[k] = 1.0 / divisors[ZIGZAG_TO_NATURAL[k]]
        inverse_natural[k] = 1.0 / divisors[k]
    if masks is not None:
        mask_view = masks
        if mask_view.shape[0] < n:
            raise ValueError("masks needs one entry per block")
        mask_out = &mask_view[0]
    if weights is not None:
        wview = np.ascontiguousarray(weights, dtype=np.float32)
        if wview.shape[0] != src.shape[0] or wview.shape[1] != src.shape[1]:
            raise ValueError("weights must have one entry per block")
        w = &wview[0, 0]
    result = np.empty((src.shape[0], src.shape[1], 64), dtype=np.int16)
    cdef int16_t[:, :, ::1] out = result
    cdef const int16_t* s
    cdef int16_t* o
    if n == 0:
        return result
    with nogil:
        for b in range(n):
            s = &src[0, 0, 0] + b * 64
            o = &out[0, 0, 0] + b * 64
            o[0] = round_quotient(s[0], inverse[0], divisors[0])
            # Most chroma blocks and smooth luma blocks round to no AC at all, and then so does the trellis
            # (a value that rounds to 0 stays 0): check that first, in natural order, in vector lanes.
            peak = 0.0
            for k in range(1, 64):
                scaled = (s[k] if s[k] >= 0 else -s[k]) * inverse_natural[k]
                peak = scaled if scaled > peak else peak
            if peak < 0.5:
                for k in range(1, 64):
                    o[k] = 0
                bits = 0
            else:
                bits = trellis_block(s, inverse, &lengths[0], lam * (w[b] if w != NULL else 1.0), o)
            if mask_out != NULL:
                mask_out[b] = bits | (o[0] != 0)
    return result
