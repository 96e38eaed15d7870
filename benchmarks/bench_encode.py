"""Encode speed of cyjpeg beside Pillow, same process, rounds interleaved, medians.

    PYTHONPATH=src python3 benchmarks/bench_encode.py [--rounds 15] [--quality 75] [--subsampling 4:2:0]

Reads the 24 Kodak photos from ../shared/corpus/photos/kodak (beside the checkout). Prints megapixels per
second for each encoder (median over rounds of the time to encode all photos once) and the ratio.
"""
import argparse
import io
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

import cyjpeg

KODAK = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "photos" / "kodak"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quality", type=int, default=75)
    parser.add_argument("--subsampling", default="4:2:0")
    parser.add_argument("--optimize", action="store_true")
    parser.add_argument("--wall", action="store_true",
                        help="time with the wall clock instead of this thread's CPU time (the default, which "
                             "other processes on a shared machine disturb less)")
    args = parser.parse_args()
    paths = sorted(KODAK.glob("*.png"))
    if not paths:
        raise SystemExit(f"no photos in {KODAK}")
    arrays = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    images = [Image.fromarray(a) for a in arrays]
    megapixels = sum(a.shape[0] * a.shape[1] for a in arrays) / 1e6

    def run_cyjpeg():
        return sum(len(cyjpeg.encode(a, quality=args.quality, subsampling=args.subsampling,
                                     optimize=args.optimize)) for a in arrays)

    def run_pillow():
        total = 0
        for im in images:
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=args.quality, subsampling=args.subsampling, optimize=args.optimize)
            total += buf.tell()
        return total

    coders = {"cyjpeg": run_cyjpeg, "Pillow": run_pillow}
    times = {name: [] for name in coders}
    sizes = {name: fn() for name, fn in coders.items()}  # warm-up
    clock = time.perf_counter if args.wall else time.thread_time
    for _ in range(args.rounds):
        for name, fn in coders.items():
            start = clock()
            fn()
            times[name].append(clock() - start)
    print(f"{len(arrays)} Kodak photos, {megapixels:.2f} MP, q{args.quality} {args.subsampling}"
          f"{' optimize' if args.optimize else ''}, {args.rounds} rounds, medians of "
          f"{'wall' if args.wall else 'thread CPU'} time")
    rate = {}
    for name in coders:
        median = statistics.median(times[name])
        rate[name] = megapixels / median
        print(f"  {name:7} {rate[name]:7.1f} MP/s  ({1000 * median:6.1f} ms per pass, {sizes[name]} bytes)")
    print(f"  cyjpeg / Pillow: {rate['cyjpeg'] / rate['Pillow']:.2f}x")


if __name__ == "__main__":
    main()
