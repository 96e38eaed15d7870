"""Precision/recall over thresholds: cyjpeg.phash beside imagehash.phash, on the same pairs.

    PYTHONPATH=src python3 benchmarks/phash_pr_curve.py [--markdown]

The pairs are the test set of tests/test_phash.py (tests/_phash_pairs.py): corpus photos and their re-encoded,
resized, cropped, brightened/darkened, grey and EXIF-rotated copies. imagehash is run two ways: as people call it
(`imagehash.phash(Image.open(f))`, which ignores the EXIF orientation) and after `ImageOps.exif_transpose`.
"""
import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _phash_pairs import build_set, pair_distances, precision_recall  # noqa: E402

import cyjpeg  # noqa: E402
from cyjpeg.dedup import DEFAULT_THRESHOLD  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--thresholds", default="2,4,6,8,10,12,14,16,18,20")
    args = parser.parse_args()
    import imagehash

    items = build_set()
    if not items:
        sys.exit("no corpus photos")
    groups = [group for group, *_ in items]

    def ih(data, transpose):
        image = Image.open(io.BytesIO(data))
        return int(str(imagehash.phash(ImageOps.exif_transpose(image) if transpose else image)), 16)

    hashers = {
        "cyjpeg.phash": [cyjpeg.phash(data) for *_, data in items],
        "imagehash.phash": [ih(data, False) for *_, data in items],
        "imagehash+exif_transpose": [ih(data, True) for *_, data in items],
    }
    distances = {name: pair_distances(h, groups) for name, h in hashers.items()}
    positive = next(iter(distances.values()))[1]
    print(f"{len(items)} images from {len(set(groups))} photos: {int(positive.sum())} duplicate pairs, "
          f"{int((~positive).sum())} distinct pairs. Default threshold: {DEFAULT_THRESHOLD}.\n")
    header = "| threshold | " + " | ".join(f"{name} P / R" for name in hashers) + " |"
    print(header)
    print("|" + "---|" * (len(hashers) + 1))
    for threshold in map(int, args.thresholds.split(",")):
        cells = []
        for name in hashers:
            d, pos = distances[name]
            precision, recall, _ = precision_recall(d, pos, threshold)
            cells.append(f"{precision:.4f} / {recall:.4f}")
        mark = " (default)" if threshold == DEFAULT_THRESHOLD else ""
        print(f"| {threshold}{mark} | " + " | ".join(cells) + " |")
    print("\nRecall per transformation at the default threshold (copy vs its original):")
    labels = [label.rstrip("0123456789.x") for _, _, label, _ in items]
    originals = {name: {g: h for g, l, h in zip(groups, labels, hs) if l == "original"} for name, hs in hashers.items()}
    print("| copy | " + " | ".join(hashers) + " |")
    print("|" + "---|" * (len(hashers) + 1))
    for kind in sorted(set(labels) - {"original"}):
        cells = []
        for name, hs in hashers.items():
            hits = [bin(h ^ originals[name][g]).count("1") <= DEFAULT_THRESHOLD
                    for g, l, h in zip(groups, labels, hs) if l == kind]
            cells.append(f"{np.mean(hits):.3f}")
        print(f"| {kind} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
