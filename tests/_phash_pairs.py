"""Build the near-duplicate test set for the perceptual hash: real photos plus copies transformed as webshop
uploads are, as encoded bytes in memory. Used by tests/test_phash.py and benchmarks/phash_pr_curve.py.

Each source photo gives one group: the photo itself (lossless PNG) and 11 copies, all JPEG:
re-encoded at two qualities in 60..95, resized to two scales in 50..90%, cropped twice by up to 5% per axis,
brightness up and down by 5..10%, converted to grayscale, and rotated with an EXIF orientation tag that turns
it upright again. Every pair inside a group is a positive pair; every pair across groups is a negative one.
Parameters come from a seeded generator per photo, so the set is the same on every run.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PHOTOS = CORPUS / "photos"
MAX_SIDE = 1024  # camera photos are reduced to this first: the hash sees 32x32 anyway, the tests stay fast

# The two skimage motorcycle photos are the left and right views of one stereo pair: the same scene a few
# pixels apart, which is a near duplicate by any perceptual measure, so only one of them is a negative.
SAME_SCENE_AS_ANOTHER = {"motorcycle_right.png"}

# Orientation tag -> the transpose that makes the upright photo look like the stored pixels (the inverse of
# what a viewer applies for that tag).
_STORE_ROTATED = {3: "ROTATE_180", 6: "ROTATE_90", 8: "ROTATE_270", 2: "FLIP_LEFT_RIGHT", 5: "TRANSPOSE"}


def source_photos():
    if not PHOTOS.is_dir():
        return []
    return sorted(p for p in PHOTOS.glob("*/*.png") if p.name not in SAME_SCENE_AS_ANOTHER)


def _jpeg(image, quality=85, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, **kwargs)
    return buf.getvalue()


def transformed_copies(path: Path, seed: int):
    """[(label, bytes)] for one photo: the original as PNG, then the 11 upload-like copies."""
    from PIL import Image, ImageEnhance

    rng = np.random.default_rng(seed)
    with Image.open(path) as opened:
        image = opened.convert("RGB")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    width, height = image.size
    png = io.BytesIO()
    image.save(png, "PNG", compress_level=1)
    copies = [("original", png.getvalue())]
    for quality in sorted(rng.integers(60, 96, size=2)):
        copies.append((f"quality{quality}", _jpeg(image, int(quality))))
    for scale in (rng.uniform(0.5, 0.7), rng.uniform(0.7, 0.9)):
        size = (max(8, round(width * scale)), max(8, round(height * scale)))
        copies.append((f"resize{scale:.2f}", _jpeg(image.resize(size, Image.Resampling.LANCZOS))))
    for _ in range(2):
        # Up to 5% of each axis, split at random between the two sides.
        cut_x, cut_y = rng.uniform(0.01, 0.05) * width, rng.uniform(0.01, 0.05) * height
        left, top = rng.uniform(0, cut_x), rng.uniform(0, cut_y)
        box = (round(left), round(top), round(width - (cut_x - left)), round(height - (cut_y - top)))
        copies.append((f"crop{cut_x / width:.3f}x{cut_y / height:.3f}", _jpeg(image.crop(box))))
    for sign in (1, -1):
        factor = 1 + sign * rng.uniform(0.05, 0.10)
        copies.append((f"brightness{factor:.2f}", _jpeg(ImageEnhance.Brightness(image).enhance(factor))))
    copies.append(("grayscale", _jpeg(image.convert("L"))))
    orientation = int(rng.choice(list(_STORE_ROTATED)))
    stored = image.transpose(getattr(Image.Transpose, _STORE_ROTATED[orientation]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    copies.append((f"exif-orientation{orientation}", _jpeg(stored, exif=exif.tobytes())))
    return copies


def build_set(limit=None):
    """[(group index, photo name, label, bytes)] over all source photos (or the first `limit`)."""
    items = []
    for group, path in enumerate(source_photos()[:limit]):
        for label, data in transformed_copies(path, seed=group):
            items.append((group, path.name, label, data))
    return items


def pair_distances(hashes, groups):
    """Hamming distances of every pair (i < j) and whether the pair is a true duplicate."""
    hashes = np.array(hashes, dtype=np.uint64)
    groups = np.asarray(groups)
    first, second = np.triu_indices(len(hashes), k=1)
    distances = np.bitwise_count(hashes[first] ^ hashes[second])
    return distances, groups[first] == groups[second]


def precision_recall(distances, positive, threshold):
    predicted = distances <= threshold
    true_pos = int(np.sum(predicted & positive))
    false_pos = int(np.sum(predicted & ~positive))
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    return precision, true_pos / int(np.sum(positive)), false_pos
