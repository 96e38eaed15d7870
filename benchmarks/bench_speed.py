"""Encode and decode speed of cyjpeg beside Pillow (and simplejpeg when installed), in one run.

    python benchmarks/bench_speed.py [--photos DIR] [--rounds N] [--quality Q]

Every round times each codec on every photo, codecs interleaved within the round so that a noisy neighbour
slows them alike; the figure per codec is the median over rounds of megapixels per second for the whole set.
Encode: quality 75, 4:2:0, baseline, standard Huffman tables. Decode: the JPEGs Pillow wrote at those settings.
Run by hand; it asserts nothing.
"""
from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

import cyjpeg

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "photos" / "kodak"


def codecs(quality):
    """(name, encode(pixels) -> bytes, decode(bytes) -> pixels) for every codec that imports here."""

    def pillow_encode(pixels):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=quality, subsampling="4:2:0")
        return buffer.getvalue()

    def pillow_decode(data):
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image)

    found = [
        ("cyjpeg", lambda p: cyjpeg.encode(p, quality=quality, subsampling="4:2:0"), cyjpeg.decode),
        ("Pillow", pillow_encode, pillow_decode),
    ]
    try:
        import simplejpeg
    except ImportError:
        pass
    else:
        found.append(
            (
                "simplejpeg",
                lambda p: simplejpeg.encode_jpeg(p, quality=quality, colorspace="RGB", colorsubsampling="420"),
                lambda d: simplejpeg.decode_jpeg(d, colorspace="RGB"),
            )
        )
    return found


def time_set(function, inputs):
    start = time.perf_counter()
    for item in inputs:
        function(item)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quality", type=int, default=75)
    args = parser.parse_args()

    photos = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(args.photos.glob("*.png"))]
    if not photos:
        raise SystemExit(f"no PNG photos in {args.photos}")
    megapixels = sum(p.shape[0] * p.shape[1] for p in photos) / 1e6
    table = codecs(args.quality)
    jpegs = [table[1][1](p) for p in photos]  # Pillow's files are every decoder's input

    seconds = {(name, op): [] for name, _, _ in table for op in ("encode", "decode")}
    for name, encode, decode in table:  # warm-up
        time_set(encode, photos[:2])
        time_set(decode, jpegs[:2])
    for _ in range(args.rounds):
        for name, encode, decode in table:
            seconds[name, "encode"].append(time_set(encode, photos))
            seconds[name, "decode"].append(time_set(decode, jpegs))

    print(f"{len(photos)} photos, {megapixels:.2f} MP per round, {args.rounds} rounds, quality {args.quality}, 4:2:0")
    print(f"cyjpeg {cyjpeg.__version__}, Pillow {Image.__version__}\n")
    print("| codec | encode MP/s | x Pillow | decode MP/s | x Pillow |")
    print("|---|---:|---:|---:|---:|")
    rate = {key: megapixels / statistics.median(times) for key, times in seconds.items()}
    for name, _, _ in table:
        enc, dec = rate[name, "encode"], rate[name, "decode"]
        print(
            f"| {name} | {enc:.1f} | {enc / rate['Pillow', 'encode']:.2f} "
            f"| {dec:.1f} | {dec / rate['Pillow', 'decode']:.2f} |"
        )


if __name__ == "__main__":
    main()
