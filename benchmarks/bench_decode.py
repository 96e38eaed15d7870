"""Decode speed of cyjpeg beside Pillow on the Kodak photos (q75, 4:2:0, encoded by Pillow).

Rounds are interleaved (one cyjpeg pass, one Pillow pass, repeated) so machine noise hits both alike;
the figure is megapixels/second from the median round. Usage: python benchmarks/bench_decode.py [rounds]
"""
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from cyjpeg import _decoder

KODAK = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "photos" / "kodak"


def main(rounds=15):
    files = sorted(KODAK.glob("*.png"))
    if not files:
        sys.exit(f"no Kodak photos in {KODAK}")
    blobs = []
    for path in files:
        buffer = io.BytesIO()
        Image.open(path).convert("RGB").save(buffer, "JPEG", quality=75, subsampling=2)
        blobs.append(buffer.getvalue())
    megapixels = sum(Image.open(io.BytesIO(b)).size[0] * Image.open(io.BytesIO(b)).size[1] for b in blobs) / 1e6

    def run_cyjpeg():
        for blob in blobs:
            _decoder.decode_image(blob)

    def run_pillow():
        for blob in blobs:
            np.asarray(Image.open(io.BytesIO(blob)).convert("RGB"))

    def run_pillow_load_only():
        # Pillow's decode alone, without the copy into a numpy array that a user of arrays pays for.
        for blob in blobs:
            Image.open(io.BytesIO(blob)).load()

    runs = (("cyjpeg", run_cyjpeg), ("Pillow", run_pillow), ("Pillow load() only", run_pillow_load_only))
    times = {name: [] for name, _ in runs}
    for _ in range(rounds):
        for name, run in runs:
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    speed = {name: megapixels / statistics.median(t) for name, t in times.items()}
    print(f"{len(blobs)} Kodak photos, {megapixels:.2f} MP, q75 4:2:0, {rounds} interleaved rounds (medians)")
    for name, mps in speed.items():
        print(f"  decode {name:20s} {mps:7.1f} MP/s")
    print(f"  ratio cyjpeg / Pillow (to numpy): {speed['cyjpeg'] / speed['Pillow']:.2f}")
    print(f"  ratio cyjpeg / Pillow load() only: {speed['cyjpeg'] / speed['Pillow load() only']:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
