"""Scaled decoding: full decode vs decode(scale=8) (the DC-only 1/8 thumbnail), with Pillow's draft() beside.

    PYTHONPATH=src python3 benchmarks/bench_scaled.py [rounds]

File sets: the 24 Kodak photos encoded by Pillow at quality 75 (4:2:0) and at quality 90 (Pillow's default
4:2:0 there too), and the large sequential camera/phone photos of ../shared/corpus/jpeg/large. Each round
decodes every file of a set once per contender, the contenders in turn (their order rotating by round), so
machine noise hits all alike; the figures are the median round, and the ratio is full / scale=8 of those.
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


def encode_kodak(quality):
    blobs = []
    for path in sorted(KODAK.glob("*.png")):
        buffer = io.BytesIO()
        Image.open(path).convert("RGB").save(buffer, "JPEG", quality=quality, subsampling=2)
        blobs.append(buffer.getvalue())
    return blobs


def pillow_decode(blobs, scale=1):
    for blob in blobs:
        image = Image.open(io.BytesIO(blob))
        if scale > 1:
            image.draft(image.mode, (image.size[0] // scale, image.size[1] // scale))
        np.asarray(image)


def race(title, blobs, rounds):
    runs = [
        ("cyjpeg full", lambda: [cyjpeg.decode(b) for b in blobs]),
        ("cyjpeg scale=8", lambda: [cyjpeg.decode(b, scale=8) for b in blobs]),
        ("Pillow full", lambda: pillow_decode(blobs)),
        ("Pillow draft 1/8", lambda: pillow_decode(blobs, 8)),
    ]
    times = {name: [] for name, _ in runs}
    for name, run in runs:  # warm-up
        run()
    for round_index in range(rounds):
        shift = round_index % len(runs)
        for name, run in runs[shift:] + runs[:shift]:
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    size = sum(cyjpeg.info(b).width * cyjpeg.info(b).height for b in blobs) / 1e6
    print(f"\n{title}: {len(blobs)} files, {size:.1f} MP, {sum(map(len, blobs)) * 8 / (size * 1e6):.2f} bits/pixel, "
          f"{rounds} rounds (medians)")
    for name, seconds in medians.items():
        print(f"  {name:20s} {seconds * 1e3:8.1f} ms  {size / seconds:8.1f} MP/s")
    ratio = medians["cyjpeg full"] / medians["cyjpeg scale=8"]
    print(f"  cyjpeg scale=8 vs full: {ratio:.2f}x faster; "
          f"Pillow draft 1/8 vs full: {medians['Pillow full'] / medians['Pillow draft 1/8']:.2f}x")
    return ratio


def main(rounds=11):
    if not any(KODAK.glob("*.png")):
        sys.exit(f"no Kodak photos in {KODAK}")
    sets = [("Kodak q75 4:2:0", encode_kodak(75)), ("Kodak q90 4:2:0", encode_kodak(90))]
    large = [p.read_bytes() for p in sorted(LARGE.glob("*.jpg"))]
    large = [b for b in large if cyjpeg.info(b).width < 7000 and not cyjpeg.info(b).progressive]
    if large:
        sets.append(("large camera/phone photos (sequential)", large))
    ratios = {title: race(title, blobs, rounds) for title, blobs in sets}
    print("\nscale=8 vs full decode: " + ", ".join(f"{title} {ratio:.2f}x" for title, ratio in ratios.items()))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 11)
