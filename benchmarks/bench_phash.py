"""Hashing JPEG files: cyjpeg.phash(bytes) vs imagehash.phash(PIL.Image.open(f)), same files, one run.

    PYTHONPATH=src python3 benchmarks/bench_phash.py [--repeat 5] [--limit N]

The files are the corpus photos (../shared/corpus/photos) encoded once as JPEG at quality 90, written to a
temporary folder; each hasher reads every file from disk. Prints per-file median times and their ratio.
imagehash is a benchmark dependency only (pip install imagehash).
"""
import argparse
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

import cyjpeg

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "photos"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    try:
        import imagehash
    except ImportError:
        sys.exit("imagehash is not installed: pip install imagehash")
    photos = sorted(PHOTOS.glob("*/*.png"))[: args.limit]
    if not photos:
        sys.exit(f"no photos under {PHOTOS}")
    with tempfile.TemporaryDirectory() as folder:
        files, pixels = [], 0
        for photo in photos:
            with Image.open(photo) as image:
                target = Path(folder) / (photo.stem + ".jpg")
                image.convert("RGB").save(target, quality=90)
                pixels += image.width * image.height
                files.append(target)

        def cy(path):
            return cyjpeg.phash(path.read_bytes())

        def ih(path):
            with Image.open(path) as image:
                return imagehash.phash(image)

        timings = {"cyjpeg.phash": [], "imagehash.phash": []}
        for _ in range(args.repeat):
            for name, hasher in (("cyjpeg.phash", cy), ("imagehash.phash", ih)):
                for path in files:
                    started = time.perf_counter()
                    hasher(path)
                    timings[name].append(time.perf_counter() - started)
    phash_module = importlib.import_module("cyjpeg.phash")  # the module: cyjpeg.phash is also the function
    path_used = "cyjpeg.decode(scale=8)" if phash_module._SCALED_DECODE else "interim Pillow draft() 1/8 decode"
    print(f"{len(files)} JPEG files (corpus photos at q90, {pixels / len(files) / 1e6:.2f} MP mean), "
          f"{args.repeat} rounds; cyjpeg thumbnail from: {path_used}")
    print(f"{'hasher':<18}{'median ms/file':>16}{'mean ms/file':>14}")
    for name, values in timings.items():
        print(f"{name:<18}{statistics.median(values) * 1e3:>16.2f}{statistics.mean(values) * 1e3:>14.2f}")
    ratio = statistics.median(timings["imagehash.phash"]) / statistics.median(timings["cyjpeg.phash"])
    total = sum(timings["imagehash.phash"]) / sum(timings["cyjpeg.phash"])
    print(f"cyjpeg is {ratio:.1f}x faster per file (median), {total:.1f}x over all files")


if __name__ == "__main__":
    main()
