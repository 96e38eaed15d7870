"""Scaled decoding: full decode vs decode(scale=8) (the DC-only 1/8 thumbnail), with Pillow's draft() beside.

    PYTHONPATH=src python3 benchmarks/bench_scaled.py [rounds] [--all-scales]

File sets: the 24 Kodak photos encoded by Pillow at quality 75 (4:2:0) and at quality 90 (Pillow's default
4:2:0 there too), and the large sequential camera/phone photos of ../shared/corpus/jpeg/large; then the same
Kodak photos saved by Pillow with progressive=True at both qualities and the large progressive files (at
scale 8 their AC scans of components output one sample per block are passed over unread). Each round
decodes every file of a set once per contender, the contenders in turn (their order rotating by round), so
machine noise hits all alike; the figures are the median round, and the ratio is full / scale=8 of those.
--all-scales races scale=2 and scale=4 (beside draft() at 1/2 and 1/4) as well.
"""
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

import cyjpeg

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
KODAK = CORPUS / "photos" / "kodak"
LARGE = CORPUS / "jpeg" / "large"


def encode_kodak(quality, progressive=False):
    blobs = []
    for path in sorted(KODAK.glob("*.png")):
        buffer = io.BytesIO()
        Image.open(path).convert("RGB").save(buffer, "JPEG", quality=quality, subsampling=2, progressive=progressive)
        blobs.append(buffer.getvalue())
    return blobs


def pillow_decode(blobs, scale=1):
    for blob in blobs:
        image = Image.open(io.BytesIO(blob))
        if scale > 1:
            image.draft(image.mode, (image.size[0] // scale, image.size[1] // scale))
        np.asarray(image)


def race(title, blobs, rounds, scales=(8,)):
    """Time each contender on each file, file by file (contender order rotating), `rounds` times; a set's time
    is the sum of its files' median times. Wall-clock time and this thread's CPU time (which a busy shared
    machine disturbs less) are both kept."""
    runs = [("cyjpeg full", lambda blob: cyjpeg.decode(blob)), ("Pillow full", lambda blob: pillow_decode([blob]))]
    for scale in scales:
        runs.append((f"cyjpeg scale={scale}", lambda blob, scale=scale: cyjpeg.decode(blob, scale=scale)))
        runs.append((f"Pillow draft 1/{scale}", lambda blob, scale=scale: pillow_decode([blob], scale)))
    wall = {name: [[] for _ in blobs] for name, _ in runs}
    cpu = {name: [[] for _ in blobs] for name, _ in runs}
    for blob in blobs:  # warm-up
        for _, run in runs:
            run(blob)
    for round_index in range(rounds):
        for index, blob in enumerate(blobs):
            shift = (round_index + index) % len(runs)
            for name, run in runs[shift:] + runs[:shift]:
                started, started_cpu = time.perf_counter(), time.thread_time()
                run(blob)
                cpu[name][index].append(time.thread_time() - started_cpu)
                wall[name][index].append(time.perf_counter() - started)
    size = sum(cyjpeg.info(b).width * cyjpeg.info(b).height for b in blobs) / 1e6
    print(f"\n{title}: {len(blobs)} files, {size:.1f} MP, {sum(map(len, blobs)) * 8 / (size * 1e6):.2f} bits/pixel, "
          f"{rounds} rounds (sum over files of each file's median)")
    print(f"  {'':20s} {'wall ms':>9} {'MP/s':>8} {'CPU ms':>9}")
    totals = {}
    for name, _ in runs:
        totals[name] = (sum(statistics.median(v) for v in wall[name]), sum(statistics.median(v) for v in cpu[name]))
        print(f"  {name:20s} {totals[name][0] * 1e3:9.1f} {size / totals[name][0]:8.1f} {totals[name][1] * 1e3:9.1f}")
    for scale in scales:
        ours, theirs = totals[f"cyjpeg scale={scale}"][0], totals[f"Pillow draft 1/{scale}"][0]
        print(f"  scale={scale}: cyjpeg {totals['cyjpeg full'][0] / ours:.2f}x faster than its full decode, "
              f"Pillow draft {totals['Pillow full'][0] / theirs:.2f}x faster than its; cyjpeg {theirs / ours:.2f}x "
              f"faster than Pillow draft")
    ratio = totals["cyjpeg full"][0] / totals["cyjpeg scale=8"][0]
    ratio_cpu = totals["cyjpeg full"][1] / totals["cyjpeg scale=8"][1]
    print(f"  cyjpeg scale=8 vs full: {ratio:.2f}x faster (CPU time: {ratio_cpu:.2f}x)")
    return ratio


def main(rounds=11, scales=(8,)):
    if not any(KODAK.glob("*.png")):
        sys.exit(f"no Kodak photos in {KODAK}")
    sets = [("Kodak q75 4:2:0", encode_kodak(75)), ("Kodak q90 4:2:0", encode_kodak(90))]
    large = [p.read_bytes() for p in sorted(LARGE.glob("*.jpg"))]
    large = [b for b in large if cyjpeg.info(b).width < 7000 and not cyjpeg.info(b).progressive]
    if large:
        sets.append(("large camera/phone photos (sequential)", large))
    progressive_sets = [("Kodak q75 4:2:0 progressive", encode_kodak(75, True)),
                        ("Kodak q90 4:2:0 progressive", encode_kodak(90, True))]
    large_progressive = [p.read_bytes() for p in sorted(LARGE.glob("*.jpg"))]
    large_progressive = [b for b in large_progressive if cyjpeg.info(b).progressive]
    if large_progressive:
        progressive_sets.append(("large progressive", large_progressive))
    ratios = {title: race(title, blobs, rounds, scales) for title, blobs in sets}
    progressive_ratios = {title: race(title, blobs, rounds, scales) for title, blobs in progressive_sets}
    print("\nscale=8 vs full decode: " + ", ".join(f"{title} {ratio:.2f}x" for title, ratio in ratios.items()))
    print("scale=8 vs full decode, progressive: "
          + ", ".join(f"{title} {ratio:.2f}x" for title, ratio in progressive_ratios.items()))


if __name__ == "__main__":
    options = [a for a in sys.argv[1:] if a.startswith("-")]
    arguments = [a for a in sys.argv[1:] if not a.startswith("-")]
    if set(options) - {"--all-scales"} or len(arguments) > 1:
        sys.exit(__doc__)
    main(int(arguments[0]) if arguments else 11, (2, 4, 8) if options else (8,))
