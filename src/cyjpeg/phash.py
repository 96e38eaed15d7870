"""Perceptual hash (pHash-style, 64 bits) of photos, for finding near-duplicate uploads.

This module owns the hash: how an image is reduced to a 32x32 luma thumbnail, the 2-D DCT-II of that
thumbnail, and how its low frequencies become 64 bits. It does no file walking or grouping (dedup.py does).

The hash, step by step:
  1. Luma (ITU-R BT.601 weights, the Y of JFIF), with the EXIF orientation applied first, so a photo and its
     rotated-by-tag copy hash alike.
  2. Area-average reduction to 32x32. For JPEG bytes the input to this step is a 1/8-scale decode (each pixel is
     an 8x8 block's DC term, T.81 A.3.3), so a JPEG never needs a full decode to be hashed; the area average of
     block averages equals the area average of the pixels, so a JPEG and a lossless copy hash alike.
  3. Orthonormal 2-D DCT-II of the 32x32 thumbnail (one precomputed 32x32 matrix, C @ X @ C.T).
  4. The top-left 8x8 coefficients (lowest frequencies). Each bit says whether a coefficient is above the median
     of the 63 AC coefficients. The DC term (mean brightness) is left out of the median, as pHash does, because
     it is orders of magnitude larger than the rest and brightness is exactly what uploads change; its own bit
     is always 0.

Bit order: bit (63 - (8 * v + u)) of the integer holds coefficient (v, u), v the vertical and u the
horizontal frequency, i.e. the coefficients read row by row from the top-left make the hash's bits from the
most significant down. So `f"{h:016x}"` reads like imagehash's hex string, and the DC bit is the top bit.

Only this file knows how a JPEG's thumbnail is obtained: see `_thumbnail_for_hash`.
"""
from __future__ import annotations

import inspect
import io
import os

import numpy as np

from . import _thumbnail

HASH_BITS = 64
THUMB_SIZE = 32  # the DCT is taken over a THUMB_SIZE x THUMB_SIZE luma thumbnail
LOW_FREQ = 8  # the hash keeps the LOW_FREQ x LOW_FREQ lowest-frequency coefficients

# BT.601 luma weights, as JFIF's RGB->Y (and Pillow's convert("L")) use them.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _dct_matrix(size: int) -> np.ndarray:
    """The orthonormal DCT-II matrix: row k is the k-th cosine basis vector over `size` samples."""
    n = np.arange(size)
    k = n[:, None]
    matrix = np.cos(np.pi * (2 * n[None, :] + 1) * k / (2 * size)) * np.sqrt(2.0 / size)
    matrix[0, :] = np.sqrt(1.0 / size)
    return matrix


_DCT_32 = _dct_matrix(THUMB_SIZE)
_DCT_LOW = np.ascontiguousarray(_DCT_32[:LOW_FREQ])  # only the 8 lowest basis vectors are ever needed


def phash(image_or_jpeg_bytes) -> int:
    """A 64-bit perceptual hash of an image (see the module doc for the exact definition).

    Accepts JPEG bytes (hashed from a 1/8-scale decode, EXIF orientation applied), other encoded image bytes
    or a path (read with Pillow, EXIF orientation applied), a PIL image (its EXIF orientation applied), or a
    uint8 array (H, W) / (H, W, 3) taken as it is.
    """
    luma = _luma_for_hash(image_or_jpeg_bytes)
    return hash_from_luma(luma)


def hash_from_luma(luma: np.ndarray) -> int:
    """Hash an oriented 2-D luma array of any size (float or uint8)."""
    thumb = area_resize(np.asarray(luma, dtype=np.float64), THUMB_SIZE, THUMB_SIZE)
    low = _DCT_LOW @ thumb @ _DCT_LOW.T  # the 8x8 lowest-frequency block of the 2-D DCT-II
    coefficients = low.reshape(-1)  # row by row: (v, u) at 8 * v + u
    # The median of the 63 AC coefficients: with an odd count, the middle one (what np.median returns).
    median = np.partition(coefficients[1:], 31)[31]
    bits = coefficients > median
    bits[0] = False  # DC: brightness, deliberately not part of the hash
    return int.from_bytes(np.packbits(bits).tobytes(), "big")  # coefficient 0 is the most significant bit


def hamming(hash_a: int, hash_b: int) -> int:
    """Number of differing bits between two hashes."""
    return (int(hash_a) ^ int(hash_b)).bit_count()


def area_resize(plane: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Reduce a 2-D array to out_h x out_w by area averaging: each output pixel is the mean of the input area it
    covers, pixels cut by an edge weighted by their overlap. Rows first, then columns; along each axis, with
    running[k] the sum of the first k input pixels (accumulated in order) and spacing = in_size / out_size,
    the sum up to edge e = k * spacing is running[floor(e)] + (e - floor(e)) * pixel[floor(e)] (floor(e) at
    most in_size - 1), and output pixel k is (sum to edge k + 1 - sum to edge k) / spacing, all in float64.
    Computed by _thumbnail.area_reduce (tests/test_phash.py holds the numpy form of this definition)."""
    plane = np.asarray(plane, dtype=np.float64)
    if plane.ndim != 2:
        raise ValueError(f"plane must be 2-D, got shape {plane.shape}")
    if plane.strides[0] % plane.itemsize or plane.strides[1] % plane.itemsize:
        plane = np.ascontiguousarray(plane)
    return _thumbnail.area_reduce(plane, out_h, out_w)


def to_luma(pixels: np.ndarray) -> np.ndarray:
    """BT.601 luma of a uint8 (H, W) or (H, W, 3) array, as float32."""
    pixels = np.asarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim == 2:
        return pixels.astype(np.float32)
    if pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        return pixels[:, :, :3].astype(np.float32) @ LUMA_WEIGHTS
    raise ValueError(f"image must have shape (H, W), (H, W, 1) or (H, W, 3), got {pixels.shape}")


def apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an array stored with EXIF orientation 1..8 upright, as PIL.ImageOps.exif_transpose does."""
    if orientation == 2:
        return pixels[:, ::-1]
    if orientation == 3:
        return pixels[::-1, ::-1]
    if orientation == 4:
        return pixels[::-1]
    if orientation == 5:
        return pixels.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(pixels, -1)
    if orientation == 7:
        return pixels[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(pixels, 1)
    return pixels


def is_jpeg(data) -> bool:
    return len(data) >= 3 and bytes(data[:3]) == b"\xff\xd8\xff"


def _luma_for_hash(obj) -> np.ndarray:
    if isinstance(obj, (str, os.PathLike)):
        with open(obj, "rb") as handle:
            obj = handle.read()
    if isinstance(obj, (bytes, bytearray, memoryview)):
        if is_jpeg(obj):
            return _thumbnail_for_hash(obj)
        return _luma_with_pillow(obj)
    if type(obj).__module__.startswith("PIL."):
        from PIL import ImageOps

        image = ImageOps.exif_transpose(obj)
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        return to_luma(np.asarray(image))
    if isinstance(obj, np.ndarray):
        if obj.dtype != np.uint8:
            raise ValueError(f"image must have dtype uint8, got {obj.dtype}")
        return to_luma(obj)
    raise TypeError(f"phash takes JPEG bytes, a path, a PIL image or a uint8 array, not {type(obj).__name__}")


def _luma_with_pillow(data) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(bytes(data))) as image:
        return _luma_for_hash(image)


# --- the one seam for the JPEG fast path ----------------------------------------------------------------------
# cyjpeg.decode(data, scale=8) (issue 3) returns the DC-only 1/8 decode. Until it exists, Pillow's draft() asks
# libjpeg for the same DCT-domain 1/8 decode. The check is made once, on the real signature, so the switch
# happens by itself when the feature lands; nothing else in the package needs to change.
def _codec_has_scaled_decode() -> bool:
    from . import _api

    try:
        return "scale" in inspect.signature(_api.decode).parameters
    except (TypeError, ValueError):
        return False


_SCALED_DECODE = None


def _thumbnail_for_hash(data) -> np.ndarray:
    """Upright luma of a JPEG at 1/8 scale (one value per 8x8 block): the input to the 32x32 reduction."""
    global _SCALED_DECODE
    if _SCALED_DECODE is None:
        _SCALED_DECODE = _codec_has_scaled_decode()
    if _SCALED_DECODE:
        from . import _api

        # Damage libjpeg conceals is concealed alike and hashed as Pillow shows it, without a warning per file.
        # luma=True: a YCbCr file gives its Y plane (JFIF's Y is the BT.601 luma of step 1), so the chroma is
        # only read past, never transformed or converted: what Pillow's draft("L") gives, bit for bit.
        pixels, _ = _api.decode_reporting_damage(data, scale=8, orientation=True, luma=True)
        if pixels.ndim == 3 and pixels.shape[2] == 4:        # CMYK files decode to CMYK; luma needs RGB
            pixels = _api.convert_mode(pixels, "RGB")
        return to_luma(pixels)
    # Interim: Pillow's draft() (libjpeg's DCT-scaled decode), grey directly from Y.
    from PIL import Image

    with Image.open(io.BytesIO(bytes(data))) as image:
        orientation = image.getexif().get(0x0112, 1)
        image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
        if image.mode not in ("L", "RGB"):
            image = image.convert("L")
        pixels = np.asarray(image)
    return to_luma(apply_orientation(pixels, orientation))
