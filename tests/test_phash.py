"""The perceptual hash and the duplicate index: definition, robustness on real photos, and the index's answers
against a brute-force scan."""
import io
from pathlib import Path

import numpy as np
import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image, ImageOps  # noqa: E402

import cyjpeg  # noqa: E402
from cyjpeg.dedup import DEFAULT_THRESHOLD, HashIndex, group_fingerprints  # noqa: E402
from cyjpeg.phash import _DCT_32, apply_orientation, area_resize, hamming, phash  # noqa: E402

from _phash_pairs import build_set, pair_distances, precision_recall, source_photos  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def smooth_photo(height=96, width=128, seed=0):
    """A photo-like test image: low-frequency colour blobs plus a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(1, 4, size=3)
        channels.append(128 + 90 * np.sin(2 * np.pi * (fx * x + phase)) * np.cos(2 * np.pi * fy * y))
    image = np.stack(channels, axis=2) + rng.normal(0, 4, size=(height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def encoded(array, fmt="JPEG", **kwargs):
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, fmt, **kwargs)
    return buf.getvalue()


def test_dct_matrix_is_orthonormal():
    np.testing.assert_allclose(_DCT_32 @ _DCT_32.T, np.eye(32), atol=1e-12)


def test_area_resize_averages_areas():
    plane = np.arange(64 * 48, dtype=np.float64).reshape(48, 64)
    np.testing.assert_allclose(area_resize(plane, 12, 16), plane.reshape(12, 4, 16, 4).mean(axis=(1, 3)))
    assert area_resize(plane, 32, 32).mean() == pytest.approx(plane.mean())


def area_resize_numpy(plane, out_h, out_w):
    """The definition of phash.area_resize in numpy (the form phash used before the compiled kernel)."""

    def reduce_axis(plane, out_size, axis):
        plane = np.moveaxis(plane, axis, 0)
        in_size = plane.shape[0]
        running = np.concatenate([np.zeros((1,) + plane.shape[1:]), np.cumsum(plane, axis=0)])
        edges = np.arange(out_size + 1) * (in_size / out_size)
        whole = np.minimum(np.floor(edges).astype(np.intp), in_size - 1)
        part = (edges - whole)[:, None]
        sums_to_edge = running[whole] + part * plane[whole]
        return np.moveaxis(np.diff(sums_to_edge, axis=0) / (in_size / out_size), 0, axis)

    return reduce_axis(reduce_axis(np.asarray(plane, dtype=np.float64), out_h, 0), out_w, 1)


@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (31, 33), (32, 32), (64, 96), (97, 129), (375, 500), (17, 1000)])
def test_area_resize_kernel_equals_numpy_definition_exactly(shape):
    # Bit for bit, not approximately: the hash compares coefficients with their median, so the kernel must
    # give the very floats the numpy definition gives. Also for float32 luma and for reversed/transposed views.
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    luma = (rng.random(shape, dtype=np.float32) * 255).astype(np.float32)
    for plane in (luma, luma[::-1, ::-1], luma.T, luma.astype(np.float64)[:, ::2] if shape[1] > 1 else luma):
        for out_h, out_w in ((32, 32), (7, 5)):
            ours, reference = area_resize(plane, out_h, out_w), area_resize_numpy(plane, out_h, out_w)
            np.testing.assert_array_equal(ours, reference)
            # The layout too: the DCT is a BLAS product, which rounds differently for another layout.
            assert ours.strides == reference.strides


def test_hash_is_64_bits_and_dc_bit_is_clear():
    values = [phash(smooth_photo(seed=s)) for s in range(8)]
    assert all(0 <= v < 2 ** 63 for v in values)  # top bit (the DC term) always 0
    assert len(set(values)) == 8
    # About half of the 63 AC bits are set: they are compared with their median.
    assert all(25 <= bin(v).count("1") <= 38 for v in values)


def test_inputs_agree_array_pil_png_jpeg():
    photo = smooth_photo(240, 320, seed=3)
    from_array = phash(photo)
    assert phash(Image.fromarray(photo)) == from_array
    assert phash(encoded(photo, "PNG")) == from_array
    assert hamming(phash(encoded(photo, quality=90)), from_array) <= 4  # the 1/8-scale decode path


def test_orientation_matches_pillow_exif_transpose():
    photo = smooth_photo(40, 56, seed=1)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        image = Image.open(io.BytesIO(encoded(photo, "PNG", exif=exif.tobytes())))
        expected = np.asarray(ImageOps.exif_transpose(image))
        np.testing.assert_array_equal(apply_orientation(photo, orientation), expected, err_msg=str(orientation))


def test_exif_rotated_jpeg_hashes_like_upright():
    photo = smooth_photo(200, 300, seed=5)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned a quarter anticlockwise; a viewer turns it back clockwise
    stored = np.ascontiguousarray(np.rot90(photo, 1))
    rotated = encoded(stored, quality=90, exif=exif.tobytes())
    assert hamming(phash(rotated), phash(photo)) <= 4
    assert hamming(phash(encoded(stored, quality=90)), phash(photo)) > 12  # without the tag it is another picture


def test_bad_input_types():
    with pytest.raises(TypeError):
        phash(12)
    with pytest.raises(ValueError):
        phash(np.zeros((8, 8), dtype=np.float32))
    with pytest.raises(Exception):
        phash(b"\xff\xd8\xff\xe0 not really a jpeg")


def test_index_matches_brute_force():
    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 2 ** 62, size=3000, dtype=np.uint64) * np.uint64(3)
    copies = hashes[:600].copy()
    for _ in range(9):  # plant near copies at up to 9 bits
        copies ^= np.uint64(1) << rng.integers(0, 64, size=600).astype(np.uint64)
    hashes = np.concatenate([hashes, copies])
    for threshold in (3, DEFAULT_THRESHOLD, 13):
        first, second, distance = HashIndex(hashes).pairs(threshold)
        found = set(zip(first.tolist(), second.tolist()))
        expected = set()
        for i in range(len(hashes)):
            d = np.bitwise_count(hashes[i] ^ hashes[i + 1:])
            expected.update((i, i + 1 + int(j)) for j in np.nonzero(d <= threshold)[0])
        assert found == expected, threshold
        assert all(hamming(hashes[a], hashes[b]) == d for a, b, d in zip(first, second, distance))
        assert len(found) >= (500 if threshold >= 9 else 1)


def test_keeper_is_largest_then_best_quality():
    def row(path, size, quality, phash_value=0x1234_5678_9ABC_DEF0, sha="x"):
        return {"path": path, "bytes": 100, "sha256": sha + path, "phash": phash_value, "width": size,
                "height": size, "quality": quality, "error": None}

    rows = [row("small-q95", 50, 95), row("big-q60", 100, 60), row("big-q90", 100, 90),
            row("other", 100, 90, phash_value=0x0F0F_0F0F_0F0F_0F0F ^ 0x7FFF_FFFF_0000_0000),
            {"path": "bad", "error": "unreadable", "phash": None}]
    groups = group_fingerprints(rows, digest=lambda path: path)  # every file's pixels differ
    assert len(groups) == 1
    assert groups[0].keep == "big-q90"
    assert sorted(groups[0].drop) == ["big-q60", "small-q95"]
    assert set(groups[0].kinds.values()) == {"near"}


needs_photos = pytest.mark.skipif(not source_photos(), reason=f"no photos in {CORPUS / 'photos'}")


@needs_photos
def test_precision_and_recall_on_transformed_photos():
    items = build_set()
    groups = [group for group, *_ in items]
    hashes = [cyjpeg.phash(data) for *_, data in items]
    distances, positive = pair_distances(hashes, groups)
    precision, recall, false_pos = precision_recall(distances, positive, DEFAULT_THRESHOLD)
    print(f"\n{len(items)} images, {int(positive.sum())} duplicate pairs, {int((~positive).sum())} distinct pairs:"
          f" precision {precision:.4f} recall {recall:.4f} at threshold {DEFAULT_THRESHOLD}")
    assert precision >= 0.99
    assert recall >= 0.95
    # Every kind of transformation is found on its own, not only on average.
    labels = [label.rstrip("0123456789.x") for _, _, label, _ in items]
    originals = {group: h for (group, _, label, _), h in zip(items, hashes) if label == "original"}
    for kind in set(labels) - {"original"}:
        found = [hamming(h, originals[g]) <= DEFAULT_THRESHOLD for g, l, h in zip(groups, labels, hashes) if l == kind]
        assert np.mean(found) >= 0.9, kind


@needs_photos
def test_find_duplicates_groups_copies_of_one_photo(tmp_path):
    photos = source_photos()[:3]
    for index, path in enumerate(photos):
        with Image.open(path) as image:
            image = image.convert("RGB")
            image.thumbnail((640, 640))
            image.save(tmp_path / f"p{index}.png")
            image.save(tmp_path / f"p{index}-q70.jpg", quality=70)
            image.resize((image.width * 3 // 4, image.height * 3 // 4)).save(tmp_path / f"p{index}-small.jpg")
    (tmp_path / "p0-copy.png").write_bytes((tmp_path / "p0.png").read_bytes())
    Image.open(tmp_path / "p1.png").save(tmp_path / "p1-same-pixels.bmp")
    groups = cyjpeg.find_duplicates(sorted(tmp_path.iterdir()), workers=1)
    # Same size and quality: the larger file, then the path decides (p0-copy.png sorts before p0.png).
    assert sorted(Path(g.keep).name for g in groups) == ["p0-copy.png", "p1-same-pixels.bmp", "p2.png"]
    kinds = {Path(path).name: kind for g in groups for path, kind in g.kinds.items()}
    assert kinds["p0.png"] == "same-bytes"
    assert kinds["p1.png"] == "same-pixels"
    assert kinds["p2-q70.jpg"] == "near" and kinds["p2-small.jpg"] == "near"


@pytest.mark.parametrize("quality", [20, 75, 95])
def test_luma_table_and_upright_size_read_as_pillow_reads_them(quality):
    # dedup ranks copies by the luma table and the displayed size, read from the JPEG header by cyjpeg; Pillow
    # (its `quantization` and size with the EXIF orientation) is the oracle.
    from PIL import Image

    from cyjpeg import dedup

    rng = np.random.default_rng(quality)
    pixels = rng.integers(0, 256, (40, 64, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6                                  # turned a quarter: displayed 40 wide, 64 high
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
    data = b"\xff\xd8" + b"\x00\x17" + buffer.getvalue()[2:]   # garbage between segments, skipped by libjpeg
    image = Image.open(io.BytesIO(buffer.getvalue()))
    np.testing.assert_array_equal(dedup._jpeg_luma_table(data), np.asarray(image.quantization[0], dtype=np.float64))
    assert dedup._upright_size(buffer.getvalue()) == (40, 64)
    assert dedup.estimate_quality(buffer.getvalue()) == quality
