"""Duplicate photos in a store: exact copies (same bytes, same pixels) and near copies (perceptual hash).

This module owns fingerprinting one file (`fingerprint`), the Hamming-distance index (`HashIndex`), grouping
(union-find) and choosing which photo of a group to keep. It hashes through cyjpeg.phash and runs files
through the engines in _engines.py; it does not compress (store.py does) or parse the command line.

How a group is formed:
  * every file gets a SHA-256 of its bytes and a 64-bit perceptual hash (phash.py; JPEGs from a 1/8 decode);
  * pairs within `threshold` bits are found with multi-index hashing (below) and joined by union-find;
  * only the members of a group are then fully decoded, to tell "same pixels" from "near" (identical pixels
    always give identical hashes, so no exact-pixel pair can be missed this way, and files with no near copy
    are never fully decoded).
The keeper of a group is the largest picture (pixel count), then the highest estimated quality (lossless
formats rank above any JPEG; a JPEG's quality is read back from its luma quantization table), then the
larger file, then the path, so the choice is the same on every run.
"""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import asdict, dataclass, field
from itertools import combinations

import numpy as np

from .phash import hamming, is_jpeg, phash

DEFAULT_THRESHOLD = 10  # bits of 64; see tests/test_phash.py and benchmarks/phash_pr_curve.py for the curve
LOSSLESS_QUALITY = 101  # ranks PNG/TIFF/... sources above any JPEG quality


# --- one file ---------------------------------------------------------------------------------------------------
def fingerprint(path) -> dict:
    """Everything grouping needs about one file, cheap to compute (no full decode for JPEGs).

    Returns a dict (picklable, for process and Dask workers): path, bytes, sha256, phash, width, height,
    quality, and error (None, or why the file could not be read as an image).
    """
    path = os.fspath(path)
    row = {"path": path, "bytes": None, "sha256": None, "phash": None, "width": None, "height": None,
           "quality": None, "error": None}
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        row["bytes"] = len(data)
        row["sha256"] = hashlib.sha256(data).hexdigest()
        row["width"], row["height"] = _upright_size(data)
        row["quality"] = estimate_quality(data)
        row["phash"] = phash(data)
    except Exception as exc:  # any unreadable upload is reported, never fatal
        from .store import describe_error

        row["error"] = describe_error(exc)
    return row


def pixel_digest(path) -> str:
    """SHA-256 over the upright decoded pixels (and their shape): equal for files that look the same."""
    pixels = _decode_upright(path)
    digest = hashlib.sha256(repr(pixels.shape).encode())
    digest.update(np.ascontiguousarray(pixels).tobytes())
    return digest.hexdigest()


def _upright_size(data):
    """(width, height) as displayed: swapped for the EXIF orientations that turn the picture a quarter."""
    if is_jpeg(data):
        from ._api import info

        meta = info(data)
        width, height, orientation = meta.width, meta.height, meta.orientation
    else:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            orientation = image.getexif().get(0x0112, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def estimate_quality(data) -> int:
    """The IJG quality whose luma table is closest to the file's (1..100), or LOSSLESS_QUALITY for a lossless
    format. Good enough to rank copies of one photo; files with custom tables get the nearest IJG quality."""
    if not is_jpeg(data):
        return LOSSLESS_QUALITY
    luma = _jpeg_luma_table(data)
    if luma is None:
        return 0
    from ._api import quality_tables

    candidates = np.array([quality_tables(q)[0] for q in range(1, 101)], dtype=np.float64)
    errors = np.abs(np.log(candidates) - np.log(np.maximum(luma, 1))).sum(axis=1)
    return int(np.argmin(errors)) + 1


def _jpeg_luma_table(data):
    """Quantization table 0 of a JPEG in natural order (the last DQT defining it before the first scan, as
    Pillow's `quantization` reports it), or None. T.81 B.2.4.1: Pq/Tq, then 64 entries of 8 or 16 bits in
    zigzag order."""
    from ._tables import ZIGZAG

    data = bytes(data)
    table, pos = None, 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:                  # garbage between segments: skipped, as libjpeg's next_marker does
            pos += 1
            continue
        marker = data[pos + 1]
        if marker == 0xFF or marker == 0x00:   # fill byte, or a stuffed zero in the garbage
            pos += 1
            continue
        if marker == 0xDA or marker == 0xD9:   # SOS or EOI: the tables of the first scan are known
            break
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > len(data):
            break
        if marker == 0xDB:
            at = pos + 4
            while at < end:
                precision, table_id = data[at] >> 4, data[at] & 15
                size = 128 if precision else 64
                if at + 1 + size > end:
                    break
                raw = np.frombuffer(data[at + 1:at + 1 + size], dtype=">u2" if precision else np.uint8)
                if table_id == 0:
                    table = np.empty(64, dtype=np.float64)
                    table[list(ZIGZAG)] = raw
                at += 1 + size
        pos = end
    return table


def _decoder_header(data):
    from ._decoder import read_header

    return read_header(data)


def _decode_upright(path) -> np.ndarray:
    with open(path, "rb") as handle:
        data = handle.read()
    if is_jpeg(data):
        from ._api import convert_mode, decode_reporting_damage
        from .phash import apply_orientation

        try:
            # Concealed damage (as Pillow conceals it) is compared as decoded, without a warning per file.
            pixels, _ = decode_reporting_damage(data, mode=None)
            if pixels.ndim == 3 and pixels.shape[2] == 4:    # CMYK: as RGB, the way Pillow converts it
                pixels = convert_mode(pixels, "RGB")
            return apply_orientation(pixels, _decoder_header(data)["orientation"])
        except ValueError:
            pass  # a JPEG cyjpeg does not decode (e.g. 12-bit): Pillow below
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image)
        return np.asarray(upright.convert("RGB") if upright.mode not in ("L", "RGB") else upright)


# --- the index ------------------------------------------------------------------------------------------------
def _popcount64(values: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(values)
    as_bytes = values.view(np.uint8).reshape(-1, 8)
    return _BYTE_POPCOUNT[as_bytes].sum(axis=1)


_BYTE_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class HashIndex:
    """Multi-index hashing (Norouzi, Punjani, Fleet 2012) over 64-bit hashes, for all pairs within t bits.

    The 64 bits are cut into 4 bands of 16. If two hashes differ in at most t bits, then by the pigeonhole
    principle some band differs in at most t // 4 bits. So for each band the index keeps the hashes sorted by
    that band's value with a 65,536-entry offset table, and a query visits, per band, the buckets of every value
    within t // 4 bits of its own (1 + 16 + 120 buckets for t up to 11), then checks each candidate's full
    distance with a popcount. All of it is numpy over the whole set at once, one band and one flip mask at a
    time, so no Python runs per hash; a query costs about (buckets visited) x N / 65,536 candidate checks,
    against N for a linear scan.
    """

    BANDS = 4
    BAND_BITS = 16

    def __init__(self, hashes):
        self.hashes = np.asarray(hashes, dtype=np.uint64).reshape(-1)
        self._bands = []
        for band in range(self.BANDS):
            values = ((self.hashes >> np.uint64(band * self.BAND_BITS)) & np.uint64(0xFFFF)).astype(np.int64)
            order = np.argsort(values, kind="stable")
            offsets = np.searchsorted(values[order], np.arange((1 << self.BAND_BITS) + 1))
            self._bands.append((values, order, offsets))

    def pairs(self, threshold: int, chunk: int = 1 << 22):
        """All (i, j, distance) with i < j and Hamming distance <= threshold, as three arrays."""
        radius = threshold // self.BANDS
        masks = [0] + [sum(1 << b for b in bits) for r in range(1, radius + 1)
                       for bits in combinations(range(self.BAND_BITS), r)]
        found_i, found_j = [], []
        for values, order, offsets in self._bands:
            for mask in masks:
                keys = values ^ mask
                starts = offsets[keys]
                counts = offsets[keys + 1] - starts
                # Bound the memory of one expansion to about `chunk` candidate pairs.
                step = max(1, chunk // max(1, int(counts.max(initial=1))))
                for lo in range(0, len(values), step):
                    hi = min(len(values), lo + step)
                    i, j = self._expand(starts[lo:hi], counts[lo:hi], order, lo)
                    keep = i < j
                    i, j = i[keep], j[keep]
                    close = _popcount64(self.hashes[i] ^ self.hashes[j]) <= threshold
                    found_i.append(i[close])
                    found_j.append(j[close])
        if not found_i:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        # A pair is found once per band whose difference is within the radius: keep one of each.
        keys = np.unique(np.concatenate(found_i) * len(self.hashes) + np.concatenate(found_j))
        i, j = np.divmod(keys, len(self.hashes))
        return i, j, _popcount64(self.hashes[i] ^ self.hashes[j]).astype(np.int64)

    @staticmethod
    def _expand(starts, counts, order, first_query):
        total = int(counts.sum())
        queries = np.repeat(np.arange(first_query, first_query + len(counts)), counts)
        within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        return queries, order[np.repeat(starts, counts) + within]


# --- groups ---------------------------------------------------------------------------------------------------
class _UnionFind:
    def __init__(self, size):
        self.parent = list(range(size))

    def find(self, item):
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a, b):
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


@dataclass
class DuplicateGroup:
    """One set of copies of a photo: the file to keep and the files to drop, each with why it is a copy."""

    keep: str
    drop: list = field(default_factory=list)  # paths
    kinds: dict = field(default_factory=dict)  # path -> "same-bytes" | "same-pixels" | "near"
    distances: dict = field(default_factory=dict)  # path -> Hamming distance of its hash to the keeper's

    def to_dict(self):
        return asdict(self)


def keeper_rank(row):
    """Sort key: the first of a group after sorting is kept (largest, best quality, larger file, path)."""
    return (-(row["width"] or 0) * (row["height"] or 0), -(row["quality"] or 0), -(row["bytes"] or 0), row["path"])


def group_fingerprints(rows, threshold=DEFAULT_THRESHOLD, digest=pixel_digest):
    """Group fingerprint rows (from `fingerprint`) into DuplicateGroups; rows with an error are left out."""
    threshold = int(threshold)
    if not 0 <= threshold <= 64:
        raise ValueError(f"threshold must be from 0 to 64 bits, got {threshold}")
    good = [row for row in rows if row.get("error") is None]
    if not good:
        return []
    index = HashIndex([row["phash"] for row in good])
    first, second, _ = index.pairs(threshold)
    sets = _UnionFind(len(good))
    for a, b in zip(first.tolist(), second.tolist()):
        sets.union(a, b)
    members = {}
    for position in range(len(good)):
        members.setdefault(sets.find(position), []).append(good[position])
    groups = []
    for group_rows in members.values():
        if len(group_rows) < 2:
            continue
        group_rows = sorted(group_rows, key=keeper_rank)
        keeper = group_rows[0]
        group = DuplicateGroup(keep=keeper["path"])
        keeper_pixels = None
        for row in group_rows[1:]:
            if row["sha256"] == keeper["sha256"]:
                kind = "same-bytes"
            else:
                if keeper_pixels is None:
                    keeper_pixels = _safe_digest(digest, keeper["path"])
                same = keeper_pixels is not None and _safe_digest(digest, row["path"]) == keeper_pixels
                kind = "same-pixels" if same else "near"
            group.drop.append(row["path"])
            group.kinds[row["path"]] = kind
            group.distances[row["path"]] = hamming(row["phash"], keeper["phash"])
        groups.append(group)
    groups.sort(key=lambda g: g.keep)
    return groups


def _safe_digest(digest, path):
    try:
        return digest(path)
    except Exception:
        return None


def find_duplicates(paths, threshold=DEFAULT_THRESHOLD, workers=None, engine="local", scheduler=None,
                    progress=False, fingerprints=None):
    """Group image files into duplicate sets.

    paths: file paths (any image Pillow reads; unreadable files are skipped and listed in `fingerprints`).
    threshold: largest Hamming distance (of 64 bits) between two perceptual hashes still called a copy.
    workers / engine / scheduler: how the per-file hashing runs (see compress_tree); results do not depend on it.
    fingerprints: pass a list to receive every file's fingerprint row, errors included.
    Returns a list of DuplicateGroup, sorted by the keeper's path.
    """
    from ._engines import run_map

    rows = run_map(fingerprint, [os.fspath(p) for p in paths], engine=engine, workers=workers,
                   scheduler=scheduler, progress="hashing" if progress else None)
    if fingerprints is not None:
        fingerprints.extend(rows)
    return group_fingerprints(rows, threshold=threshold)


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".ppm",
                  ".pgm", ".pbm", ".pnm", ".tga", ".ico", ".avif", ".heic", ".jp2", ".j2k"}


def walk_images(root, all_files=False):
    """Files under root, sorted: those named like images (IMAGE_SUFFIXES) or with no suffix at all, so a README
    or a CSV beside the photos is not an "unreadable image"; a broken .jpg is still listed (and reported).
    With all_files, every regular file."""
    root = os.fspath(root)
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if name.startswith("."):
                continue
            suffix = os.path.splitext(name)[1].lower()
            if all_files or not suffix or suffix in IMAGE_SUFFIXES:
                found.append(os.path.join(folder, name))
    return found
