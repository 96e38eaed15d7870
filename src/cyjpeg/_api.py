"""The public functions: argument checking and normalisation around the Cython codec.

This module owns everything that touches user-supplied Python objects (arrays of any layout, PIL images,
option names) and turns it into the plain C-contiguous arrays and integers the codec modules take. Beyond the
codec it does only whole-array finishing of a decode, in numpy: the mode conversions defined as Pillow's
convert() (CMYK -> RGB, RGB -> L) and the EXIF orientation (a transpose/flip view made contiguous).
"""
from __future__ import annotations

import dataclasses
import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from . import _decoder, _encoder
from ._metadata import marker_segments
from ._tables import STD_CHROMA_QUANT_TABLE, STD_LUMA_QUANT_TABLE
from .errors import JpegError, JpegWarning

# decode()'s default pixel limit: twice Pillow's Image.MAX_IMAGE_PIXELS (89478485), the size above which
# Pillow raises DecompressionBombError instead of warning. Pass max_pixels=None for no limit.
DEFAULT_MAX_PIXELS = _decoder.MAX_PIXELS
DECODE_MODES = (None, "RGB", "L")
DECODE_SCALES = (1, 2, 4, 8)

# ITU-R 601-2 luma in 16-bit fixed point, as Pillow's convert("L") computes it (rounded: + 0.5 * 2**16).
L_FROM_R = 19595  # 0.299 * 2**16
L_FROM_G = 38470  # 0.587 * 2**16
L_FROM_B = 7471  # 0.114 * 2**16

# Luma sampling factors (h, v) per subsampling name; chroma is always 1x1.
SUBSAMPLING_FACTORS = {
    "4:4:4": (1, 1),
    "4:2:2": (2, 1),
    "4:2:0": (2, 2),
    "4:4:0": (1, 2),
}


@dataclass(frozen=True)
class JpegInfo:
    """What the headers of a JPEG say, read without decoding the entropy-coded data."""

    width: int
    height: int
    components: int
    mode: str  # "L", "RGB", "CMYK" or "YCCK": the colour space the pixels decode to
    subsampling: str  # "4:4:4", "4:2:0", ... or "HxV,HxV,HxV" when no common name fits
    sampling_factors: tuple  # ((h, v), ...) per component, in frame order
    progressive: bool
    restart_interval: int
    precision: int = 8
    sof: int = 0xC0  # the frame marker: 0xC0 baseline, 0xC1 extended, 0xC2 progressive, ...
    arithmetic: bool = False
    lossless: bool = False
    jfif_version: tuple | None = None
    density: tuple | None = None  # (x, y, unit) from JFIF: unit 0 aspect ratio, 1 dpi, 2 dots/cm
    adobe_transform: int | None = None
    icc_profile: bytes | None = None
    exif: bytes | None = None
    orientation: int = 1  # EXIF (else XMP) orientation as Pillow's getexif() reports it; 1 when absent
    comment: bytes | None = None
    xmp: bytes | None = None  # the XMP packet of an APP1 segment (Pillow's info["xmp"])
    extra: dict = field(default_factory=dict, repr=False)


def quality_tables(quality: int) -> np.ndarray:
    """Scale the Annex K tables to `quality` with the IJG formula, as libjpeg's jpeg_set_quality does.

    Returns a (2, 64) uint16 array, luma then chroma, in natural order, clamped to 1..255 (baseline).
    """
    return _shared_quality_tables(_check_int("quality", quality, 1, 100)).copy()


@lru_cache(maxsize=None)
def _shared_quality_tables(quality: int) -> np.ndarray:
    """quality_tables without the copy, for encode: read-only and computed once per quality (the numpy work
    costs as much as encoding a small image)."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    base = np.array([STD_LUMA_QUANT_TABLE, STD_CHROMA_QUANT_TABLE], dtype=np.int64)
    tables = np.clip((base * scale + 50) // 100, 1, 255).astype(np.uint16)
    tables.flags.writeable = False
    return tables


def as_pixels(image) -> np.ndarray:
    """Return `image` as a C-contiguous uint8 array of shape (H, W) or (H, W, 3)."""
    if _is_pil_image(image):
        image = _pil_to_array(image)
    if not isinstance(image, np.ndarray):
        raise ValueError(f"image must be a numpy array or a PIL.Image.Image, not {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"image must have dtype uint8, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"image must have shape (H, W), (H, W, 1) or (H, W, 3), got {image.shape}")
    height, width = image.shape[:2]
    if not (1 <= width <= 65535 and 1 <= height <= 65535):
        raise ValueError(f"image must be 1..65535 pixels each way (a JPEG limit), got {width}x{height}")
    return np.ascontiguousarray(image)


def encode(
    image,
    quality=75,
    subsampling="4:2:0",
    optimize=False,
    restart_interval=0,
    qtables=None,
    *,
    icc_profile=None,
    exif=None,
    comment=None,
    threads=1,
    progressive=False,
    trellis=False,
    adaptive=False,
    preset=None,
    scans=None,
    target_ssim=None,
    target_psnr=None,
) -> bytes:
    """Encode an image as a baseline JFIF JPEG.

    image: uint8 array (H, W), (H, W, 1) or (H, W, 3) RGB of any strides, or a PIL image (L and RGB used as
        they are; other modes converted, with transparency composited onto white).
    quality: 1..100, scaling the T.81 Annex K tables exactly as libjpeg does.
    subsampling: "4:4:4", "4:2:2", "4:2:0" or "4:4:0" (ignored for grayscale).
    optimize: compute optimal Huffman tables from the image's own statistics (T.81 K.2).
    restart_interval: write a restart marker every N MCUs (0: none).
    qtables: one or two 64-entry quantization tables (natural order, values 1..255) used instead of quality.
    icc_profile, exif, comment: metadata to write (ICC split over APP2 chunks; EXIF with or without its
        "Exif\\0\\0" prefix; comment as bytes or UTF-8 text). The pixels are stored as given: EXIF orientation
        is written, not applied.
    threads: code bands of MCU rows on up to this many threads (worth it from about a megapixel). The output
        is the same bytes for any value: bands are coded into raw bits and joined by shifting, so no restart
        markers are added and restart_interval keeps its meaning. (The size options below code on one thread.)

    Size options (cyjpeg._size; none of them changes the default baseline output):
    progressive: write a progressive JPEG (SOF2) with one optimal Huffman table per scan (implies optimal
        tables); `scans` overrides the scan script with a list of (components, Ss, Se, Ah, Al), or "search"
        picks each component's scans by size among candidates (about 1% smaller, ~2x the entropy coding).
    trellis: rate-distortion optimised quantization of each block for the file's own Huffman code lengths.
    adaptive: with trellis, let local masking (busy texture) zero more and protect smooth areas and edges.
    preset: "fast", "web" or "max" (see README, "Size presets"): cyjpeg's tuned tables plus, in that order,
        more of the above; quality keeps scaling the tables.
    target_ssim / target_psnr: ignore quality and return the smallest file (searching quality, reusing the
        DCT) whose cyjpeg.metrics.ssim / psnr against the input reaches the target, both measured on BT.601
        luma rounded to uint8 (as cyjpeg.store reports it; see cyjpeg._target). With a preset, that preset's
        file; without one, the "web" preset's quantization in a sequential file (progressive=True for a
        progressive one).
    """
    pixels = as_pixels(image)
    if subsampling not in SUBSAMPLING_FACTORS:
        raise ValueError(f"subsampling must be one of {', '.join(SUBSAMPLING_FACTORS)}, got {subsampling!r}")
    h_samp, v_samp = SUBSAMPLING_FACTORS[subsampling] if pixels.ndim == 3 else (1, 1)
    tables = (_shared_quality_tables(_check_int("quality", quality, 1, 100)) if qtables is None
              else _check_qtables(qtables))
    restart_interval = _check_int("restart_interval", restart_interval, 0, 65535)
    segments = marker_segments(icc_profile=icc_profile, exif=exif, comment=comment)
    threads = _check_int("threads", threads, 1, 1024)
    if target_ssim is not None or target_psnr is not None:
        from . import _target

        if restart_interval:
            raise ValueError("restart_interval is not supported with target_ssim/target_psnr")
        return _target.encode_to_target(pixels, h_samp, v_samp, preset, bool(progressive), target_ssim,
                                        target_psnr, qtables is None, segments)
    if progressive or trellis or adaptive or preset is not None or scans is not None:
        from . import _size

        settings = _size.settings_for(preset, progressive, trellis, adaptive)
        if restart_interval:
            raise ValueError("restart_interval is not supported with progressive, trellis or preset")
        if qtables is None and settings.tuned_tables:
            tables = _size.tuned_tables(quality)
        script = None
        if isinstance(scans, str):
            if scans != "search":
                raise ValueError(f"scans must be a list of scans or 'search', got {scans!r}")
            settings = dataclasses.replace(settings, progressive=True, scan_search=True)
        elif scans is not None:
            script = _size.check_script(scans, 1 if pixels.ndim == 2 else 3)
        return _size.encode(pixels, tables, h_samp, v_samp, settings, segments, script)
    return _encoder.encode_image(pixels, tables, h_samp, v_samp, bool(optimize), restart_interval, segments,
                                 threads)


def decode(data, mode=None, scale=1, orientation=False, max_pixels=DEFAULT_MAX_PIXELS, strict=None, *,
           threads=1) -> np.ndarray:
    """Decode a JPEG to a uint8 array.

    mode: None for the file's own layout, (H, W) grayscale, (H, W, 3) RGB or (H, W, 4) CMYK (Adobe-inverted,
        the values Pillow's mode "CMYK" holds); "RGB" or "L" convert as Pillow's convert() does.
    scale: 1, 2, 4 or 8: decode at 1/scale size, ceil(W / scale) x ceil(H / scale), in the DCT domain
        (what libjpeg does for Pillow's draft()); much faster than decoding and resizing. At scale 8 a
        progressive file's AC scans of the components output at one sample per block (all but subsampled
        chroma) are passed over unread: their coefficients cannot change those samples (see strict).
    orientation: apply the EXIF orientation (all 8 cases) as PIL.ImageOps.exif_transpose does.
    max_pixels: refuse (JpegError) a frame of more than this many pixels before allocating anything; the
        default is twice Pillow's MAX_IMAGE_PIXELS, where Pillow refuses; None for no limit. Memory used is
        the output and a few MCU rows of samples (whole sample planes for non-interleaved sequential and for
        lossless files), and for progressive files 2 bytes per coefficient plus 8 per block (Huffman-coded:
        a map of the nonzero coefficients); at scale 8, 2 bytes per block for the components output one
        sample per block, whose AC scans are not read (see scale).
    strict: what damaged data gives.
        None (default), as Pillow: damage inside the data that libjpeg conceals with a warning (a bad Huffman
        code, scan data cut short by a marker, lost restart markers, an overlong EOB run, a component no
        scan delivered, a DC value out of range, progressive scans out of order...) is concealed the way
        libjpeg conceals it, and a cyjpeg.JpegWarning carries the message strict=True would raise (the
        first damage found). Data that runs out before the image is complete still raises JpegError
        (Pillow: "image file is truncated").
        True raises JpegError on any damage (for validating uploads) that can be seen: an arithmetic-coded
        scan cut short at a marker cannot be told from a complete one (libjpeg cannot either).
        False also decodes data that runs out, with the blocks it does not reach grey, as Pillow does with
        ImageFile.LOAD_TRUNCATED_IMAGES = True (and warns the same way).
        Progressive scans passed over unread (scale 8 above; and every chroma scan of the Y-plane decode
        cyjpeg.phash uses) are the exception with None and False: damage inside one is not seen, so it gives
        no warning and is not concealed the libjpeg way (the scan counts as intact, also for block
        smoothing), and on such a damaged file the pixels can differ from Pillow's. True reads every scan.
        Data that runs out is always found where a full decode finds it: a file whose data runs out (no
        marker ends some scan before the end of the input) has every scan read, at every strict value.
    threads: decode one image on up to this many threads (worth it from about a megapixel); None or 0 for
        os.cpu_count(). Sequential files with restart markers (DRI, as many cameras write them) are decoded
        in bands of restart intervals, sequential files without them in a two-stage pipeline (two threads),
        progressive files with their scans in groups (DC scans, each component's AC scans) and their output
        stage in bands. The pixels, errors and warnings are the same for
        any value: a file whose markers or data are damaged is decoded on one thread. Memory adds a few MCU
        rows per thread.
    """
    pixels, concealed = decode_reporting_damage(data, mode, scale, orientation, max_pixels, strict, threads=threads)
    for message in concealed:
        warnings.warn(JpegWarning(message), stacklevel=2)
    return pixels


def decode_reporting_damage(data, mode=None, scale=1, orientation=False, max_pixels=DEFAULT_MAX_PIXELS,
                            strict=None, luma=False, *, threads=1) -> tuple:
    """decode() without the warning: returns (pixels, messages of the damage concealed, [] for none). For
    callers inside cyjpeg that decode many files (hashing, dedup) and keep or drop the messages themselves;
    thread-safe, unlike filtering warnings. luma=True (with mode=None): a YCbCr file gives its Y plane, (H, W),
    without decoding the chroma (other files decode as usual); a progressive file's chroma scans are passed
    over unread, with the consequences for damage decode() describes under strict."""
    if mode not in DECODE_MODES:
        raise ValueError(f"mode must be one of None, 'RGB', 'L', got {mode!r}")
    if isinstance(scale, bool) or scale not in DECODE_SCALES:
        raise ValueError(f"scale must be one of 1, 2, 4, 8, got {scale!r}")
    if max_pixels is None:
        max_pixels = 1 << 62
    else:
        max_pixels = _check_int("max_pixels", max_pixels, 1, 1 << 62)
    if strict not in (None, True, False):
        raise ValueError(f"strict must be None, True or False, got {strict!r}")
    threads = _check_threads(threads)
    buffer = _as_byte_buffer(data)
    concealed = []
    pixels = _decoder.decode_image(buffer, int(scale), max_pixels, 0 if strict is None else (1 if strict else -1),
                                   concealed, bool(luma) and mode is None, threads)
    if mode is not None:
        pixels = convert_mode(pixels, mode)
    if orientation:
        pixels = apply_orientation(pixels, _decoder.read_header(buffer)["orientation"])
    return pixels, concealed


def convert_mode(pixels: np.ndarray, mode: str) -> np.ndarray:
    """Convert a native decode (L, RGB or CMYK array) to "L" or "RGB" as Pillow's Image.convert does."""
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if channels == 4:
        pixels = _cmyk_to_rgb(pixels)
        channels = 3
    if mode == "RGB":
        if channels == 1:
            return np.repeat(pixels[:, :, None], 3, axis=2)
        return pixels
    if channels == 1:
        return pixels
    rgb = pixels.astype(np.uint32)
    luma = rgb[:, :, 0] * L_FROM_R + rgb[:, :, 1] * L_FROM_G + rgb[:, :, 2] * L_FROM_B + 0x8000
    return (luma >> 16).astype(np.uint8)


def _cmyk_to_rgb(cmyk: np.ndarray) -> np.ndarray:
    # Pillow's cmyk2rgb: channel = 255 - k' - c' * (255 - k') / 255 with its rounded division by 255
    # (MULDIV255: t = a * b + 128; (t + (t >> 8)) >> 8), clipped at 0.
    values = cmyk.astype(np.int32)
    not_k = 255 - values[:, :, 3:4]
    product = values[:, :, :3] * not_k + 128
    rgb = not_k - ((product + (product >> 8)) >> 8)
    return np.clip(rgb, 0, 255).astype(np.uint8)


# EXIF orientation (TIFF 6.0 tag 274) -> how to make the stored pixels upright, as exif_transpose does:
# 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
def apply_orientation(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Return `pixels` turned upright for an EXIF orientation value (1..8; anything else leaves them)."""
    if orientation == 2:
        view = pixels[:, ::-1]
    elif orientation == 3:
        view = pixels[::-1, ::-1]
    elif orientation == 4:
        view = pixels[::-1]
    elif orientation == 5:
        view = pixels.swapaxes(0, 1)
    elif orientation == 6:
        view = pixels.swapaxes(0, 1)[:, ::-1]
    elif orientation == 7:
        view = pixels.swapaxes(0, 1)[::-1, ::-1]
    elif orientation == 8:
        view = pixels.swapaxes(0, 1)[::-1]
    else:
        return pixels
    return np.ascontiguousarray(view)


def info(data) -> JpegInfo:
    """Read a JPEG's headers (up to the first scan) and return what they say, without decoding pixels."""
    header = _decoder.read_header(_as_byte_buffer(data))
    sampling = tuple(tuple(hv) for hv in header["sampling_factors"])
    known = {name for name in JpegInfo.__dataclass_fields__}
    fields = {key: value for key, value in header.items() if key in known}
    fields["extra"] = {key: value for key, value in header.items() if key not in known}
    fields["sampling_factors"] = sampling
    fields["subsampling"] = subsampling_name(sampling)
    return JpegInfo(**fields)


def subsampling_name(sampling_factors) -> str:
    """Name a component sampling layout the way J:a:b notation does, e.g. ((2, 2), (1, 1), (1, 1)) -> 4:2:0."""
    if len(sampling_factors) == 1:
        return "4:4:4"
    luma, chroma = sampling_factors[0], sampling_factors[1:]
    if all(tuple(c) == tuple(chroma[0]) for c in chroma):
        ratio = (luma[0] / chroma[0][0], luma[1] / chroma[0][1])
        names = {(1, 1): "4:4:4", (2, 1): "4:2:2", (2, 2): "4:2:0", (1, 2): "4:4:0", (4, 1): "4:1:1", (4, 2): "4:1:0"}
        if ratio in names:
            return names[ratio]
    return ",".join(f"{h}x{v}" for h, v in sampling_factors)


def _check_int(name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {value}")
    return int(value)


def _check_threads(threads) -> int:
    """threads=: None or 0 mean one per CPU (os.cpu_count()); otherwise 1..1024."""
    if threads is None or (not isinstance(threads, bool) and isinstance(threads, (int, np.integer))
                           and threads == 0):
        return max(1, min(os.cpu_count() or 1, 1024))
    return _check_int("threads", threads, 1, 1024)


def _check_qtables(qtables) -> np.ndarray:
    tables = [np.asarray(t).reshape(-1) for t in (qtables if _is_sequence_of_tables(qtables) else [qtables])]
    if not 1 <= len(tables) <= 2 or any(t.size != 64 for t in tables):
        raise ValueError("qtables must be one or two tables of 64 entries each (natural order)")
    stacked = np.array(tables if len(tables) == 2 else tables * 2)
    if not np.issubdtype(stacked.dtype, np.integer) or stacked.min() < 1 or stacked.max() > 255:
        raise ValueError("qtables entries must be integers from 1 to 255")
    return stacked.astype(np.uint16)


def _is_sequence_of_tables(qtables) -> bool:
    if isinstance(qtables, dict):  # Pillow's layout: {0: table, 1: table}
        return True
    first = qtables[0] if len(qtables) else None
    return first is not None and np.ndim(first) >= 1


def _is_pil_image(obj) -> bool:
    return type(obj).__module__.startswith("PIL.") and hasattr(obj, "mode") and hasattr(obj, "getbands")


def _pil_to_array(image) -> np.ndarray:
    from PIL import Image

    if image.mode in ("L", "RGB"):
        return np.asarray(image)
    if "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(white, rgba)
        return np.asarray(flat.convert("L" if image.mode in ("LA", "La") else "RGB"))
    if image.mode in ("1", "I", "I;16", "I;16B", "I;16L", "F"):
        return np.asarray(image.convert("L"))
    return np.asarray(image.convert("RGB"))


def _as_byte_buffer(data):
    """A C-contiguous byte view of any bytes-like object (bytes, bytearray, memoryview, numpy array)."""
    if isinstance(data, (bytes, bytearray)):
        return data
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(f"JPEG data must be a bytes-like object, not {type(data).__name__}") from None
    if not view.c_contiguous:
        return view.tobytes()
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view
