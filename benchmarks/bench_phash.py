"""Hashing JPEG files: cyjpeg.phash(bytes) vs imagehash.phash(PIL.Image.open(f)), same files, one run.

    PYTHONPATH=src python3 benchmarks/bench_phash.py [--repeat 7] [--limit N] [--quality 90]

The files are the corpus photos (../shared/corpus/photos: kodak, skimage, camera-2x) encoded once by Pillow as
JPEG (quality 90 by default, Pillow's 4:2:0), written to a temporary folder; each hasher reads every file from
disk, as a dedup job does. The two hashers alternate file by file (which goes first alternates by round), so
machine noise hits both alike; each file's time is its median over the rounds. Printed: median ms per file,
the ratio imagehash / cyjpeg per file (median over files, and of the summed per-file medians), the same per
photo set, and where imagehash's time goes (its full JPEG decode inside convert("L"), the 32x32 Lanczos
resize, scipy's DCT), measured on the same files. imagehash is a benchmark dependency only (pip install
imagehash).
"""
import argparse
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import cyjpeg

PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "photos"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--quality", type=int, default=90)
    args = parser.parse_args()
    try:
        import imagehash
        import scipy.fftpack
    except ImportError:
        sys.exit("imagehash is not installed: pip install imagehash")
    photos = sorted(PHOTOS.glob("*/*.png"))[: args.limit]
    if not photos:
        sys.exit(f"no photos under {PHOTOS}")
    with tempfile.TemporaryDirectory() as folder:
        files, sets, pixels = [], {}, 0
        for photo in photos:
            with Image.open(photo) as image:
                target = Path(folder) / f"{photo.parent.name}-{photo.stem}.jpg"
                image.convert("RGB").save(target, quality=args.quality)
                pixels += image.width * image.height
                files.append(target)
                sets.setdefault(photo.parent.name, []).append(target)

        def cy(path):
            return cyjpeg.phash(path.read_bytes())

        def ih(path):
            with Image.open(path) as image:
                return imagehash.phash(image)

        # imagehash's steps, timed separately on the same files (same calls as imagehash.phash makes).
        def ih_decode(path):
            with Image.open(path) as image:
                return image.convert("L")

        def ih_rest(gray):
            small = gray.resize((32, 32), Image.LANCZOS)
            dct = scipy.fftpack.dct(scipy.fftpack.dct(np.asarray(small), axis=0), axis=1)
            return dct[:8, :8] > np.median(dct[:8, :8])

        for path in files:  # warm-up: imports, the skip tables, the file cache
            cy(path), ih(path)
        hashers = (("cyjpeg.phash", cy), ("imagehash.phash", ih))
        samples = {name: {path: [] for path in files} for name, _ in hashers}
        steps = {"open + decode + convert L": {p: [] for p in files}, "resize + DCT + median": {p: [] for p in files}}
        for round_index in range(args.repeat):
            order = hashers if round_index % 2 == 0 else hashers[::-1]
            for path in files:
                for name, hasher in order:
                    started = time.perf_counter()
                    hasher(path)
                    samples[name][path].append(time.perf_counter() - started)
                started = time.perf_counter()
                gray = ih_decode(path)
                middle = time.perf_counter()
                ih_rest(gray)
                steps["open + decode + convert L"][path].append(middle - started)
                steps["resize + DCT + median"][path].append(time.perf_counter() - middle)

    def per_file(table):
        return {path: statistics.median(values) for path, values in table.items()}

    cy_ms, ih_ms = per_file(samples["cyjpeg.phash"]), per_file(samples["imagehash.phash"])
    phash_module = importlib.import_module("cyjpeg.phash")  # the module: cyjpeg.phash is also the function
    path_used = "cyjpeg.decode(scale=8)" if phash_module._SCALED_DECODE else "interim Pillow draft() 1/8 decode"
    print(f"{len(files)} JPEG files (corpus photos at q{args.quality}, {pixels / len(files) / 1e6:.2f} MP mean), "
          f"{args.repeat} rounds, hashers alternating file by file; cyjpeg thumbnail from: {path_used}")

    def report(title, chosen):
        cy_values = [cy_ms[p] for p in chosen]
        ih_values = [ih_ms[p] for p in chosen]
        ratios = [ih_ms[p] / cy_ms[p] for p in chosen]
        print(f"{title:<22}{len(chosen):>6}{statistics.median(cy_values) * 1e3:>12.2f}"
              f"{statistics.median(ih_values) * 1e3:>12.2f}{statistics.median(ratios):>12.1f}x"
              f"{sum(ih_values) / sum(cy_values):>12.1f}x")

    print(f"{'files':<22}{'count':>6}{'cyjpeg ms':>12}{'imagehash':>12}{'median ratio':>13}{'total ratio':>13}")
    report("all", files)
    for name, chosen in sets.items():
        report(f"  {name}", chosen)
    print("(ms: median over files of each file's median time; median ratio: over files of imagehash / cyjpeg; "
          "total ratio: of the summed per-file medians)")
    print("imagehash.phash time, by step (median ms per file):")
    for name, table in steps.items():
        print(f"  {name:<28}{statistics.median(per_file(table).values()) * 1e3:>8.2f}")


if __name__ == "__main__":
    main()
