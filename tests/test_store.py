"""compress_tree / find_duplicates end to end on a temporary photo store, through the API and the CLI."""
import csv
import io
import json
import os

import numpy as np
import pytest

pytest.importorskip("PIL")
from PIL import Image, ImageCms  # noqa: E402

from cyjpeg import compress_tree  # noqa: E402
from cyjpeg._cli_store import main as store_cli  # noqa: E402
from cyjpeg.store import _ssim, ssim_luma, summarize  # noqa: E402

from test_phash import smooth_photo  # noqa: E402

ORIENTATION = 0x0112
MAKE = 0x010F


def save(path, array, fmt=None, **kwargs):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, fmt, **kwargs)


@pytest.fixture
def store(tmp_path):
    """A small upload store: high-quality JPEGs with ICC + EXIF, a copy, a resized copy, a PNG, a WebP, a
    low-quality JPEG that cannot shrink, a grey TIFF, a broken JPEG and a text file."""
    src = tmp_path / "src"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "cyjpeg-test-camera"
    photo = smooth_photo(300, 400, seed=11)
    save(src / "shoes" / "red.jpg", photo, quality=97, icc_profile=icc, exif=exif.tobytes())
    (src / "shoes" / "red-copy.jpg").write_bytes((src / "shoes" / "red.jpg").read_bytes())
    small = np.asarray(Image.fromarray(photo).resize((300, 225), Image.Resampling.LANCZOS))
    save(src / "shoes" / "red-small.jpg", small, quality=92, exif=exif.tobytes())  # resized, same EXIF
    save(src / "bags" / "blue.png", smooth_photo(200, 260, seed=12))
    save(src / "bags" / "green.webp", smooth_photo(180, 240, seed=13), quality=95)
    save(src / "bags" / "tiny.jpg", smooth_photo(64, 64, seed=14), quality=30)
    save(src / "grey.tif", smooth_photo(120, 160, seed=15)[:, :, 1])
    good = io.BytesIO()
    Image.fromarray(photo).save(good, "JPEG", quality=90)
    (src / "broken.jpg").write_bytes(good.getvalue()[:300])
    (src / "readme.txt").write_text("not a photo, not named like one: not walked")
    (src / "upload-without-suffix").write_bytes(b"GIF89a but nothing more")
    return src, tmp_path / "dst", icc


def comparable(rows):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


def test_compress_tree_end_to_end(store, tmp_path):
    src, dst, icc = store
    report = tmp_path / "report.json"
    rows = compress_tree(src, dst, quality=80, workers=2, report=report)
    by_path = {row["path"]: row for row in rows}
    assert len(rows) == 9
    # Byte counts are the files on disk, in and out.
    for row in rows:
        assert row["bytes_in"] == os.path.getsize(src / row["path"])
        if row["output"] is not None:
            assert row["bytes_out"] == os.path.getsize(dst / row["output"])
            Image.open(dst / row["output"]).load()  # every output is a JPEG Pillow reads
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file()) == sorted(
        row["output"] for row in rows if row["output"])
    # Unreadable files are rows with a reason, not the end of the run.
    assert by_path["broken.jpg"]["status"] == "error" and by_path["broken.jpg"]["reason"]
    assert by_path["upload-without-suffix"]["status"] == "error"
    assert "readme.txt" not in by_path
    # Formats and outputs.
    assert by_path["bags/blue.png"]["output"] == "bags/blue.jpg" and by_path["bags/blue.png"]["status"] == "converted"
    assert by_path["bags/green.webp"]["status"] == "converted"
    assert Image.open(dst / "grey.jpg").mode == "L"
    # A low-quality JPEG that re-encoding cannot shrink keeps its own bytes.
    assert by_path["bags/tiny.jpg"]["status"] == "kept-original"
    assert (dst / "bags/tiny.jpg").read_bytes() == (src / "bags/tiny.jpg").read_bytes()
    # The big JPEG shrank, looks the same, and kept its ICC profile and EXIF (orientation included).
    red = by_path["shoes/red.jpg"]
    assert red["status"] == "compressed" and red["bytes_out"] < red["bytes_in"]
    with Image.open(src / "shoes/red.jpg") as original, Image.open(dst / "shoes/red.jpg") as out:
        # The row's SSIM is the output's against the input, as measured here with Pillow decoding both.
        assert red["ssim"] == pytest.approx(_ssim(np.asarray(original), np.asarray(out)), abs=0.005)
        assert red["ssim"] > 0.8
        assert out.info["icc_profile"] == icc
        assert out.getexif()[ORIENTATION] == 6 and out.getexif()[MAKE] == "cyjpeg-test-camera"
        assert out.size == (400, 300)  # pixels stay as stored; the tag still turns them
    # The report file holds the same rows and a summary of them.
    written = json.loads(report.read_text())
    assert comparable(written["files"]) == comparable(rows)
    summary = written["summary"]
    assert summary["files"] == 9 and summary["error"] == 2
    assert summary["bytes_after"] == sum(os.path.getsize(p) for p in dst.rglob("*") if p.is_file())
    assert summary["bytes_after"] < summary["bytes_before"]


def test_second_run_changes_nothing(store):
    src, dst, _ = store
    compress_tree(src, dst, workers=1)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in dst.rglob("*") if p.is_file()}
    rows = compress_tree(src, dst, workers=1, quality=20)
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in dst.rglob("*") if p.is_file()}
    assert after == before
    assert {row["status"] for row in rows} == {"exists", "error"}
    # Asked to, it does overwrite.
    rows = compress_tree(src, dst, workers=1, quality=20, overwrite=True)
    assert (dst / "shoes/red.jpg").read_bytes() != before[dst / "shoes/red.jpg"][1]


def test_compress_with_dedup(store):
    src, dst, _ = store
    rows = compress_tree(src, dst, workers=1, dedup=True)
    by_path = {row["path"]: row for row in rows}
    # red.jpg and red-copy.jpg are the same bytes: the path decides; red-small.jpg is a smaller near copy.
    keeper = "shoes/red-copy.jpg"
    assert by_path[keeper]["status"] == "compressed"
    for dropped in ("shoes/red.jpg", "shoes/red-small.jpg"):
        assert by_path[dropped]["status"] == "duplicate" and by_path[dropped]["duplicate_of"] == keeper
        assert by_path[dropped]["bytes_out"] == 0 and not (dst / dropped).exists()
    assert summarize(rows)["duplicate"] == 2


def test_cli_compress_and_dedup(store, tmp_path, capsys):
    src, dst, _ = store
    assert store_cli(["compress", str(src), str(dst), "--quality", "75", "--workers", "1",
                      "--report", str(tmp_path / "r.csv")]) == 0
    printed = capsys.readouterr()
    assert "percent" not in printed.out and "saved" in printed.out and "mean SSIM" in printed.out
    assert "could not read broken.jpg" in printed.err
    with open(tmp_path / "r.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 9
    for row in rows:
        if row["output"]:
            assert int(row["bytes_out"]) == os.path.getsize(dst / row["output"])

    moved = tmp_path / "dupes"
    assert store_cli(["dedup", str(src), "--workers", "1", "--report", str(tmp_path / "d.json"),
                      "--move-duplicates-to", str(moved)]) == 0
    report = json.loads((tmp_path / "d.json").read_text())
    status = {row["path"]: row for row in report["files"]}
    assert status["shoes/red-copy.jpg"]["status"] == "keep"
    assert status["shoes/red.jpg"]["kind"] == "same-bytes"
    assert status["shoes/red-small.jpg"]["kind"] == "near"
    assert status["broken.jpg"]["status"] == "error"
    assert sorted(p.relative_to(moved).as_posix() for p in moved.rglob("*") if p.is_file()) == [
        "shoes/red-small.jpg", "shoes/red.jpg"]
    assert not (src / "shoes/red.jpg").exists()


def test_options_fail_clearly(store, tmp_path):
    src, dst, _ = store
    with pytest.raises(ValueError, match="json or .csv"):
        compress_tree(src, dst, report=tmp_path / "r.txt")
    with pytest.raises(ValueError, match="engine"):
        compress_tree(src, dst, engine="spark")
    with pytest.raises(ValueError, match="quality"):
        compress_tree(src, dst, quality=0)
    assert not dst.exists()


def test_target_ssim_reaches_target(store):
    src, dst, _ = store
    rows = compress_tree(src / "bags", dst, workers=1, target_ssim=0.95)
    encoded = [row for row in rows if row["status"] in ("compressed", "converted")]
    assert encoded and all(row["ssim"] >= 0.95 for row in encoded)


def test_ssim_luma_behaves():
    photo = smooth_photo(64, 80, seed=2)
    assert ssim_luma(photo, photo) == pytest.approx(1.0)
    noisy = np.clip(photo + np.random.default_rng(0).normal(0, 20, photo.shape), 0, 255).astype(np.uint8)
    slightly = np.clip(photo + np.random.default_rng(0).normal(0, 3, photo.shape), 0, 255).astype(np.uint8)
    assert ssim_luma(photo, noisy) < ssim_luma(photo, slightly) < 1.0


def test_dask_engine_gives_the_same_report(store, tmp_path):
    pytest.importorskip("dask.distributed")
    src, _, _ = store
    local = compress_tree(src, tmp_path / "local", workers=1, dedup=True)
    on_dask = compress_tree(src, tmp_path / "dask", workers=2, dedup=True, engine="dask")
    assert comparable(on_dask) == comparable(local)
    assert {p.relative_to(tmp_path / "dask"): p.read_bytes() for p in (tmp_path / "dask").rglob("*")
            if p.is_file()} == {p.relative_to(tmp_path / "local"): p.read_bytes() for p in
                                (tmp_path / "local").rglob("*") if p.is_file()}
