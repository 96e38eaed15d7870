"""Decode speed of cyjpeg beside Pillow: baseline, progressive, and scaled (thumbnail) decoding.

Test material: the Kodak photos encoded by Pillow (q75, 4:2:0; once baseline, once progressive), and the large
camera/phone photos of ../shared/corpus/jpeg/large for the scaled decodes. Rounds are interleaved (each
contender once per round, repeated) so machine noise hits all alike; figures are megapixels/second (of the
full-size image) from the median round.

    python benchmarks/bench_decode.py [rounds]
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


def encode_kodak(**options):
    blobs = []
    for path in sorted(KODAK.glob("*.png")):
        buffer = io.BytesIO()
        Image.open(path).convert("RGB").save(buffer, "JPEG", quality=75, subsampling=2, **options)
        blobs.append(buffer.getvalue())
    return blobs


def megapixels(blobs):
    return sum(cyjpeg.info(b).width * cyjpeg.info(b).height for b in blobs) / 1e6


def cyjpeg_decode(blobs, scale=1):
    # Each result dropped before the next decode, as pillow_decode does: keeping all of them (a list) would
    # charge cyjpeg alone for fresh, page-faulted memory on every file.
    for blob in blobs:
        cyjpeg.decode(blob, scale=scale)


def pillow_decode(blobs, scale=1):
    for blob in blobs:
        image = Image.open(io.BytesIO(blob))
        if scale > 1:
            image.draft(image.mode, (image.size[0] // scale, image.size[1] // scale))
        np.asarray(image)


def race(title, blobs, runs, rounds):
    """Time each (name, function) over `blobs` in interleaved rounds; print MP/s and return the medians."""
    times = {name: [] for name, _ in runs}
    for _ in range(rounds):
        for name, run in runs:
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    size = megapixels(blobs)
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"\n{title}: {len(blobs)} files, {size:.1f} MP, {rounds} interleaved rounds (medians)")
    for name, seconds in medians.items():
        print(f"  {name:34s} {size / seconds:8.1f} MP/s  {seconds * 1e3:8.1f} ms")
    return medians


def main(rounds=11):
    if not any(KODAK.glob("*.png")):
        sys.exit(f"no Kodak photos in {KODAK}")
    for label, options in (("baseline", {}), ("progressive", {"progressive": True})):
        blobs = encode_kodak(**options)
        medians = race(f"Kodak q75 4:2:0 {label}", blobs, [
            ("cyjpeg.decode", lambda: cyjpeg_decode(blobs)),
            ("Pillow (to numpy)", lambda: pillow_decode(blobs)),
            ("Pillow load() only", lambda: [Image.open(io.BytesIO(b)).load() for b in blobs]),
        ], rounds)
        print(f"  ratio cyjpeg / Pillow (to numpy): {medians['Pillow (to numpy)'] / medians['cyjpeg.decode']:.2f}")

    sets = [("Kodak q75 4:2:0 baseline", encode_kodak())]
    large = [p.read_bytes() for p in sorted(LARGE.glob("*.jpg")) if cyjpeg.info(p.read_bytes()).width < 7000
             and not cyjpeg.info(p.read_bytes()).progressive]
    if large:
        sets.append(("large camera/phone photos (sequential)", large))
    for title, blobs in sets:
        runs = [(f"cyjpeg scale={s}", lambda s=s: cyjpeg_decode(blobs, s)) for s in (1, 2, 4, 8)]
        runs += [(f"Pillow draft 1/{s}", lambda s=s: pillow_decode(blobs, s)) for s in (1, 8)]
        medians = race(f"scaled decode, {title}", blobs, runs, max(3, rounds // 2))
        print(f"  cyjpeg scale=8 vs scale=1: {medians['cyjpeg scale=1'] / medians['cyjpeg scale=8']:.2f}x faster;"
              f" Pillow draft 1/8 vs full: {medians['Pillow draft 1/1'] / medians['Pillow draft 1/8']:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 11)
