"""Arithmetic-coded decode speed of cyjpeg beside Pillow, on the same files.

Test material: the Kodak photos encoded by Pillow (q75, 4:2:0, baseline), transcoded losslessly to arithmetic
coding with libjpeg-turbo's `jpegtran -arithmetic` (sequential, and with `-progressive` progressive), so the
coefficients, and the decoded pixels, are those of the Huffman files: the gap between the two columns of one
decoder is the cost of the QM-coder. Needs jpegtran on PATH (Debian: libjpeg-turbo-progs).
Pillow reads arithmetic-coded files only when the whole file fits its read buffer (libjpeg's arithmetic decoder
cannot suspend for more input), so ImageFile.MAXBLOCK is raised here.
Rounds are interleaved; figures are megapixels/second from the median round.

    python benchmarks/bench_arithmetic.py [rounds]
"""
import io
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image, ImageFile

import cyjpeg

KODAK = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "photos" / "kodak"
ImageFile.MAXBLOCK = 1 << 24


def transcode(blob, *options):
    return subprocess.run(["jpegtran", *options], input=blob, capture_output=True, check=True).stdout


def main(rounds):
    if shutil.which("jpegtran") is None:
        sys.exit("jpegtran not found (libjpeg-turbo-progs)")
    huffman = []
    for path in sorted(KODAK.glob("*.png")):
        buffer = io.BytesIO()
        Image.open(path).convert("RGB").save(buffer, "JPEG", quality=75, subsampling=2)
        huffman.append(buffer.getvalue())
    sets = {
        "huffman": huffman,
        "arith-seq": [transcode(b, "-arithmetic") for b in huffman],
        "arith-prog": [transcode(b, "-arithmetic", "-progressive") for b in huffman],
    }
    mpix = sum(cyjpeg.info(b).width * cyjpeg.info(b).height for b in huffman) / 1e6
    decoders = {
        "cyjpeg": lambda blob: cyjpeg.decode(blob),
        "pillow": lambda blob: Image.open(io.BytesIO(blob)).load(),
    }
    times = {(s, d): [] for s in sets for d in decoders}
    for _ in range(rounds):
        for set_name, blobs in sets.items():
            for decoder_name, decode in decoders.items():
                start = time.perf_counter()
                for blob in blobs:
                    decode(blob)
                times[set_name, decoder_name].append(time.perf_counter() - start)
    print(f"{len(huffman)} Kodak photos, {mpix:.1f} MP, median of {rounds} rounds (MP/s)")
    print(f"{'file set':12} {'cyjpeg':>8} {'pillow':>8} {'x Pillow':>9}")
    for set_name in sets:
        ours = mpix / statistics.median(times[set_name, "cyjpeg"])
        theirs = mpix / statistics.median(times[set_name, "pillow"])
        print(f"{set_name:12} {ours:8.1f} {theirs:8.1f} {ours / theirs:9.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
