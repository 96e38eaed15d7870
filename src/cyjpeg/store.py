"""Compress a photo store: every image under SRC becomes a JPEG under DST, with a report row per file.

This module owns the per-file job (`compress_one`: read, encode, keep metadata, never grow a JPEG, write
safely), walking the tree, the summary and the JSON/CSV report. Pixel work is the codec's; running the job on
many processes or a Dask cluster is _engines.py's; grouping duplicates is dedup.py's.

Feature seams (each used from exactly one function here, to switch when the codec issue lands):
  * `_read_upload`:  Pillow reads every format and the metadata (ICC, EXIF).  -> cyjpeg.decode/info for JPEGs
  * `_encode_like_upload`: cyjpeg.encode + `_splice_metadata` writing APP1/APP2 here; target_ssim by a
    quality search here; preset refused.  -> encode(icc_profile=, exif=, preset=, target_ssim=) (issues 3, 4)
  * `_ssim`: a numpy Gaussian SSIM on luma.  -> cyjpeg.metrics.ssim (issue 4), picked up automatically
Each checks the real signature of cyjpeg.encode, so it switches by itself once the keyword exists.
"""
from __future__ import annotations

import csv
import inspect
import io
import json
import os
import time

import numpy as np

from . import _api
from .errors import UnsupportedJpegError
from .phash import LUMA_WEIGHTS, is_jpeg

DEFAULT_QUALITY = 80
REPORT_FIELDS = ["path", "output", "status", "reason", "bytes_in", "bytes_out", "width", "height", "quality",
                 "ssim", "duplicate_of", "seconds"]
STATUSES = ("compressed", "converted", "kept-original", "exists", "duplicate", "error")


# --- the tree -------------------------------------------------------------------------------------------------
def compress_tree(src, dst, quality=DEFAULT_QUALITY, target_ssim=None, preset=None, workers=None, dedup=False,
                  engine="local", scheduler=None, overwrite=False, report=None, threshold=None, progress=None):
    """Compress every image file under `src` into `dst` (same relative paths, suffix .jpg); return report rows.

    quality: 1..100 for every file, unless target_ssim (e.g. 0.97) asks for the smallest file reaching it.
    preset: the encoder's speed/size preset (issue 4; refused until the codec has it).
    workers / engine / scheduler: "local" processes (workers=1 runs in this process) or "dask" on a
        LocalCluster, or on the cluster at `scheduler`. Rows are the same whichever engine runs them.
    dedup: find duplicates first (cyjpeg.find_duplicates, `threshold` bits) and write only the keeper of each
        group; the others get status "duplicate" and the keeper's path in duplicate_of.
    overwrite: replace existing files in dst; otherwise an existing output is left alone (status "exists"),
        so a second run changes nothing.
    report: a path ending in .json or .csv to write the rows to (with a summary, for JSON).
    progress: show a progress line on stderr (default: when stderr is a terminal).
    Each row: path and output (relative), status (one of STATUSES), reason, bytes_in, bytes_out (the
    sizes of the files on disk), width, height, quality, ssim (output vs input pixels), duplicate_of, seconds.
    """
    from ._engines import run_map

    started = time.perf_counter()
    src, dst = os.path.abspath(os.fspath(src)), os.path.abspath(os.fspath(dst))
    if not os.path.isdir(src):
        raise ValueError(f"source folder {src!r} does not exist")
    if report is not None:
        _report_format(report)  # fail before the work, not after it
    options = _check_options(quality, target_ssim, preset, overwrite)
    if progress is None:
        progress = _stderr_is_terminal()
    from .dedup import walk_images

    sources = [p for p in walk_images(src) if not _inside(p, dst)]  # dst may sit inside src
    relative = [os.path.relpath(p, src) for p in sources]
    outputs = _output_names(relative)

    duplicate_of = {}
    if dedup:
        from .dedup import DEFAULT_THRESHOLD, find_duplicates

        groups = find_duplicates(sources, threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
                                 workers=workers, engine=engine, scheduler=scheduler, progress=progress)
        for group in groups:
            for path in group.drop:
                duplicate_of[os.path.relpath(path, src)] = os.path.relpath(group.keep, src)

    tasks = [(src, rel, dst, out, options, duplicate_of.get(rel)) for rel, out in zip(relative, outputs)]
    rows = run_map(compress_one, tasks, engine=engine, workers=workers, scheduler=scheduler,
                   progress="compress" if progress else None, describe=_describe_row)
    if report is not None:
        write_report(rows, report, summary=summarize(rows, time.perf_counter() - started))
    return rows


def _check_options(quality, target_ssim, preset, overwrite):
    if target_ssim is not None:
        target_ssim = float(target_ssim)
        if not 0.0 < target_ssim < 1.0:
            raise ValueError(f"target_ssim must be between 0 and 1, got {target_ssim}")
    else:
        _api._check_int("quality", quality, 1, 100)
    if preset is not None and "preset" not in _encode_parameters():
        raise ValueError(f"preset={preset!r} needs the encoder presets of issue 4, which this build of cyjpeg "
                         "does not have yet; use quality= or target_ssim=")
    return {"quality": int(quality), "target_ssim": target_ssim, "preset": preset, "overwrite": bool(overwrite)}


def _inside(path, folder):
    return os.path.commonpath([os.path.abspath(path), folder]) == folder


def _output_names(relative):
    """DST-relative names: the source name with .jpg; when two sources would share one (a.png, a.jpg), the
    JPEG (or the first in order) keeps it and the others keep their own suffix too (a.png.jpg)."""
    base = [os.path.splitext(rel)[0] + ".jpg" for rel in relative]
    owner = {}
    for position, (rel, name) in enumerate(zip(relative, base)):
        current = owner.get(name)
        if current is None or (not _looks_jpeg(relative[current]) and _looks_jpeg(rel)):
            owner[name] = position
    return [name if owner[name] == position else rel + ".jpg" for position, (rel, name) in
            enumerate(zip(relative, base))]


def _looks_jpeg(name):
    return os.path.splitext(name)[1].lower() in (".jpg", ".jpeg", ".jpe", ".jfif")


def _stderr_is_terminal():
    import sys

    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def _describe_row(row):
    return f"{row['status']}: {row['path']}"[:60]


# --- one file -------------------------------------------------------------------------------------------------
def compress_one(task) -> dict:
    """Compress one file; never raises for a bad file (the row says status "error" and why)."""
    src, rel, dst, out, options, duplicate_of = task
    started = time.perf_counter()
    source_path, output_path = os.path.join(src, rel), os.path.join(dst, out)
    row = dict.fromkeys(REPORT_FIELDS)
    row.update(path=rel, output=out, reason="", duplicate_of=duplicate_of)
    try:
        row["bytes_in"] = os.path.getsize(source_path)
        if duplicate_of is not None:
            row.update(status="duplicate", output=None, bytes_out=0, reason="copy of " + duplicate_of)
        elif os.path.exists(output_path) and not options["overwrite"]:
            row.update(status="exists", bytes_out=os.path.getsize(output_path),
                       reason="output exists (overwrite not asked)")
        else:
            _compress_file(source_path, output_path, options, row)
    except Exception as exc:  # an unreadable upload is a row, not the end of the run
        row.update(status="error", output=None, bytes_out=0, reason=describe_error(exc))
    row["seconds"] = round(time.perf_counter() - started, 4)
    return row


def _compress_file(source_path, output_path, options, row):
    with open(source_path, "rb") as handle:
        original = handle.read()
    pixels, metadata = _read_upload(original)
    row["height"], row["width"] = pixels.shape[:2]
    encoded, quality, notes = _encode_like_upload(pixels, options, metadata)
    if is_jpeg(original) and len(encoded) >= len(original):
        # Re-encoding would not make it smaller: the original bytes are the better file.
        data, status, quality_used, ssim = original, "kept-original", None, 1.0
        notes.append(f"re-encoding gave {len(encoded)} bytes, not fewer than {len(original)}")
    else:
        data, status, quality_used = encoded, ("compressed" if is_jpeg(original) else "converted"), quality
        ssim = round(float(_ssim(pixels, _api.decode(encoded, strict=True))), 5)   # our own file: no damage
    _write_new_file(output_path, data)
    row.update(status=status, bytes_out=os.path.getsize(output_path), quality=quality_used, ssim=ssim,
               reason="; ".join(notes))


def describe_error(exc) -> str:
    """A stable one-line reason for a file that could not be read (no object addresses in it)."""
    if type(exc).__name__ == "UnidentifiedImageError":
        return "not an image format Pillow or cyjpeg can read"
    return f"{type(exc).__name__}: {exc}"


def _write_new_file(path, data):
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


# --- seams ----------------------------------------------------------------------------------------------------
def _read_upload(data):
    """Pixels as stored (uint8 (H, W) or (H, W, 3), not rotated: the EXIF orientation travels in the EXIF) and
    the metadata to carry over: {"icc_profile", "exif"}. JPEGs are read by cyjpeg (decode, damage concealed as
    Pillow conceals it; info for ICC and EXIF), so a store of JPEG uploads needs no Pillow; other formats, and
    JPEGs using a coding process cyjpeg does not decode, by Pillow (pip install "cyjpeg[image]")."""
    if is_jpeg(data):
        try:
            pixels, _ = _api.decode_reporting_damage(data)
        except UnsupportedJpegError:
            pass
        else:
            if pixels.ndim == 3 and pixels.shape[2] == 4:            # CMYK: RGB as Pillow's convert() gives
                pixels = _api.convert_mode(pixels, "RGB")
            meta = _api.info(data)
            return np.ascontiguousarray(pixels), {"icc_profile": meta.icc_profile, "exif": meta.exif,
                                                  "source_mode": meta.mode}
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError('reading this format needs Pillow: pip install "cyjpeg[image]"') from error

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        metadata = {"icc_profile": image.info.get("icc_profile"), "exif": image.info.get("exif"),
                    "source_mode": image.mode}
        pixels = _api.as_pixels(image)
    return pixels, metadata


def _encode_parameters():
    return inspect.signature(_api.encode).parameters


def _encode_like_upload(pixels, options, metadata):
    """Encode pixels for the store with the upload's metadata; returns (bytes, quality used, notes)."""
    notes = []
    icc, exif = metadata.get("icc_profile"), _exif_segment_body(metadata.get("exif"))
    if icc and not _icc_fits(icc, pixels):
        notes.append(f"ICC profile dropped: it describes {icc[16:20].decode('latin-1').strip()} data, "
                     f"the output is {'RGB' if pixels.ndim == 3 else 'grey'}")
        icc = None
    parameters = _encode_parameters()
    extra = {}
    if options["preset"] is not None:
        extra["preset"] = options["preset"]
    codec_writes_metadata = "icc_profile" in parameters and "exif" in parameters
    if codec_writes_metadata:
        extra.update(icc_profile=icc, exif=exif)

    def encode_at(quality):
        data = _api.encode(pixels, quality=quality, **extra)
        return data if codec_writes_metadata else _splice_metadata(data, icc, exif, notes)

    target = options["target_ssim"]
    if target is None:
        return encode_at(options["quality"]), options["quality"], notes
    if "target_ssim" in parameters:
        data = _api.encode(pixels, target_ssim=target, **extra)
        data = data if codec_writes_metadata else _splice_metadata(data, icc, exif, notes)
        return data, None, notes
    # Interim target mode: bisect the quality for the smallest one whose decode reaches the target.
    low, high, best = 1, 100, None
    while low <= high:
        quality = (low + high) // 2
        data = _api.encode(pixels, quality=quality, **extra)
        if _ssim(pixels, _api.decode(data, strict=True)) >= target:
            best, high = (data, quality), quality - 1
        else:
            low = quality + 1
    if best is None:
        notes.append(f"SSIM {target} not reached even at quality 100")
    data, quality = best if best else (_api.encode(pixels, quality=100, **extra), 100)
    return (data if codec_writes_metadata else _splice_metadata(data, icc, exif, notes)), quality, notes


def _icc_fits(icc, pixels):
    space = bytes(icc[16:20])
    return space == (b"RGB " if pixels.ndim == 3 else b"GRAY")


EXIF_HEADER = b"Exif\x00\x00"
ICC_HEADER = b"ICC_PROFILE\x00"
MAX_SEGMENT_DATA = 65533  # a marker segment's length field counts itself: 65535 - 2
ICC_CHUNK = MAX_SEGMENT_DATA - len(ICC_HEADER) - 2  # ICC.1 B.4: 2 bytes of sequence number and count


def _exif_segment_body(exif):
    """EXIF as it sits in APP1: "Exif\\0\\0" then the TIFF structure (Pillow gives PNG/WebP EXIF without it)."""
    if not exif:
        return None
    exif = bytes(exif)
    return exif if exif.startswith(EXIF_HEADER) else EXIF_HEADER + exif


def _splice_metadata(jpeg, icc, exif, notes):
    """Insert APP1 (EXIF) and APP2 (ICC, split into numbered chunks) after SOI and the JFIF APP0 segment.
    Stand-in until cyjpeg.encode(icc_profile=, exif=) lands (issue 3)."""
    segments = []
    if exif:
        if len(exif) > MAX_SEGMENT_DATA:
            notes.append(f"EXIF dropped: {len(exif)} bytes do not fit one APP1 segment")
        else:
            segments.append(b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif)
    if icc:
        chunks = [icc[start:start + ICC_CHUNK] for start in range(0, len(icc), ICC_CHUNK)]
        if len(chunks) > 255:
            notes.append("ICC profile dropped: larger than 255 APP2 chunks")
        else:
            for number, chunk in enumerate(chunks, 1):
                body = ICC_HEADER + bytes([number, len(chunks)]) + chunk
                segments.append(b"\xff\xe2" + (len(body) + 2).to_bytes(2, "big") + body)
    if not segments:
        return jpeg
    position = 2
    if jpeg[2:4] == b"\xff\xe0":  # keep JFIF's APP0 first, as JFIF requires
        position = 4 + int.from_bytes(jpeg[4:6], "big")
    return jpeg[:position] + b"".join(segments) + jpeg[position:]


def _ssim(reference, candidate) -> float:
    """SSIM of two uint8 images on BT.601 luma: cyjpeg.metrics.ssim (Cython) when the package has it, else
    ssim_luma. Luma, not RGB channels: 4:2:0 chroma subsampling alone costs RGB-channel SSIM a few hundredths
    on noisy photos at any quality, which is not what a viewer sees."""
    try:
        from .metrics import ssim  # issue 4
    except ImportError:
        return ssim_luma(reference, candidate)
    return float(ssim(_luma_uint8(reference), _luma_uint8(candidate)))


def _luma_uint8(pixels):
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        return pixels
    return np.clip(np.rint(_luma(pixels)), 0, 255).astype(np.uint8)


def _luma(pixels):
    pixels = np.asarray(pixels)
    return pixels.astype(np.float32) if pixels.ndim == 2 else pixels.astype(np.float32) @ LUMA_WEIGHTS


def _gaussian_blur(plane, kernel):
    """Separable 'valid' convolution of a 2-D array with a 1-D kernel, as shifted sums (no SciPy)."""
    taps = len(kernel)
    rows = sum(kernel[k] * plane[k:plane.shape[0] - taps + 1 + k] for k in range(taps))
    return sum(kernel[k] * rows[:, k:rows.shape[1] - taps + 1 + k] for k in range(taps))


def ssim_luma(reference, candidate, sigma=1.5, taps=11) -> float:
    """Mean SSIM (Wang et al. 2004) on BT.601 luma, 11-tap Gaussian window of sigma 1.5, K1=0.01, K2=0.03,
    L=255, over the window positions that fit inside the image (like scikit-image's gaussian_weights SSIM
    with its border trimmed)."""
    x, y = _luma(reference), _luma(candidate)
    if x.shape != y.shape:
        raise ValueError(f"images differ in size: {x.shape} and {y.shape}")
    if min(x.shape) < taps:
        taps = max(1, min(x.shape) | 1)
        if taps > min(x.shape):
            taps -= 2
    offsets = np.arange(taps) - taps // 2
    kernel = np.exp(-(offsets ** 2) / (2 * sigma ** 2)).astype(np.float32)
    kernel /= kernel.sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mean_x, mean_y = _gaussian_blur(x, kernel), _gaussian_blur(y, kernel)
    var_x = _gaussian_blur(x * x, kernel) - mean_x ** 2
    var_y = _gaussian_blur(y * y, kernel) - mean_y ** 2
    cov = _gaussian_blur(x * y, kernel) - mean_x * mean_y
    ssim_map = ((2 * mean_x * mean_y + c1) * (2 * cov + c2)) / ((mean_x ** 2 + mean_y ** 2 + c1) * (var_x + var_y + c2))
    return float(ssim_map.mean(dtype=np.float64))


# --- summary and report ---------------------------------------------------------------------------------------
def summarize(rows, seconds=None) -> dict:
    """Totals over the rows: files by status, bytes before/after (files that were read), saved, mean SSIM."""
    counted = [row for row in rows if row["status"] != "error"]
    before = sum(row["bytes_in"] or 0 for row in counted)
    after = sum(row["bytes_out"] or 0 for row in counted)
    ssims = [row["ssim"] for row in counted if row["ssim"] is not None]
    return {
        "files": len(rows),
        **{status: sum(row["status"] == status for row in rows) for status in STATUSES},
        "bytes_before": before,
        "bytes_after": after,
        "percent_saved": round(100.0 * (before - after) / before, 2) if before else 0.0,
        "mean_ssim": round(float(np.mean(ssims)), 5) if ssims else None,
        "seconds": None if seconds is None else round(seconds, 2),
    }


def format_summary(summary) -> str:
    """The summary as a small fixed-width table for a terminal."""
    def size(count):
        for unit in ("B", "KB", "MB", "GB"):
            if abs(count) < 1024 or unit == "GB":
                return f"{count:.1f} {unit}" if unit != "B" else f"{count} B"
            count /= 1024

    lines = [
        ("files", f"{summary['files']}  (" + ", ".join(f"{summary[s]} {s}" for s in STATUSES if summary[s]) + ")"),
        ("bytes before", f"{summary['bytes_before']:,}  ({size(summary['bytes_before'])})"),
        ("bytes after", f"{summary['bytes_after']:,}  ({size(summary['bytes_after'])})"),
        ("saved", f"{summary['percent_saved']:.1f} %"),
        ("mean SSIM", "-" if summary["mean_ssim"] is None else f"{summary['mean_ssim']:.4f}"),
        ("time", "-" if summary["seconds"] is None else f"{summary['seconds']:.1f} s"),
    ]
    width = max(len(name) for name, _ in lines)
    rule = "-" * (width + 2 + max(len(value) for _, value in lines))
    return "\n".join([rule] + [f"{name:<{width}}  {value}" for name, value in lines] + [rule])


def _report_format(path):
    extension = os.path.splitext(os.fspath(path))[1].lower()
    if extension not in (".json", ".csv"):
        raise ValueError(f"report file must end in .json or .csv, got {os.fspath(path)!r}")
    return extension[1:]


def write_report(rows, path, summary=None, fields=None):
    """Write rows to `path` as JSON ({"summary": ..., "files": rows}) or CSV (one row per file), by extension."""
    fields = fields or REPORT_FIELDS
    kind = _report_format(path)
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    os.makedirs(folder, exist_ok=True)
    if kind == "json":
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"summary": summary, "files": rows}, handle, indent=1)
            handle.write("\n")
    else:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({key: ("" if row.get(key) is None else row.get(key)) for key in fields})
