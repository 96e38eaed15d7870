"""Shared test helpers: where the conformance corpus lives, and Pillow as the oracle."""
import io
import os
from pathlib import Path

import numpy as np
import pytest

# The checkout sits beside shared/ (CI and the team's machines); CYJPEG_CORPUS points elsewhere.
CORPUS = Path(os.environ.get("CYJPEG_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
KODAK = CORPUS / "photos" / "kodak"


def kodak_photos(count=None):
    """Paths of the Kodak PNGs, or a skip when the corpus is absent."""
    paths = sorted(KODAK.glob("*.png"))
    if not paths:
        pytest.skip(f"Kodak photos not found under {KODAK}")
    return paths[:count] if count else paths


def load_rgb(path):
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def pillow_encode(pixels, **options) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def pillow_decode(data) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)


def pillow_draft(data, scale, mode=None) -> np.ndarray:
    """Pillow's decode through draft() at 1/scale, the oracle for decode(scale=): mode is draft()'s (e.g. "L"),
    None for the file's own. Checks that draft() gave the ceil(W/scale) x ceil(H/scale) size cyjpeg gives."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        image.draft(mode or image.mode, (max(1, width // scale), max(1, height // scale)))
        assert image.size == (-(-width // scale), -(-height // scale))
        if mode is not None:
            assert image.mode == mode
        return np.asarray(image)


def synthetic_image(height, width, channels=3, seed=0):
    """A smooth gradient with texture and noise: photo-like statistics at any size, deterministic."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    planes = []
    for c in range(channels):
        base = 128 + 80 * np.sin(x / (7.0 + 3 * c) + y / 11.0) * np.cos(y / (13.0 + c))
        planes.append(base + rng.normal(0, 6, size=(height, width)))
    image = np.clip(np.stack(planes, axis=-1), 0, 255).astype(np.uint8)
    return image[:, :, 0] if channels == 1 else image
