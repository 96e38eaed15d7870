"""Encode and decode speed of cyjpeg beside Pillow (and simplejpeg when installed), in one run.

    python benchmarks/bench_speed.py [--sets kodak,large] [--rounds N] [--quality Q] [--no-threads] [--memory]
    python benchmarks/bench_speed.py --split-only [--rounds N]

Sets: `kodak` is the 24 Kodak photos (768x512); `large` is the 8-9 megapixel phone photos of the corpus's
`jpeg/large` folder, decoded by Pillow to get their pixels. Encode: quality 75, 4:2:0, baseline, standard
Huffman tables. Decode: the JPEGs Pillow wrote from the same pixels at those settings.

Every round times each codec on the whole set, codecs interleaved within the round so that a noisy neighbour
slows them alike; each figure is the median over rounds of megapixels per second. Then, unless --no-threads:
two Python threads sharing the set (does the codec release the GIL?), and cyjpeg's own `threads=2` on one large
photo when the installed cyjpeg has that option. --memory adds each codec's peak resident memory for one large
photo, measured in a fresh process. Run by hand; it asserts nothing.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

import cyjpeg

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SETS = {
    "kodak": lambda: sorted((CORPUS / "photos" / "kodak").glob("*.png")),
    "large": lambda: [
        CORPUS / "jpeg" / "large" / "exifs__hdr__iphone_hdr_YES.jpg",
        CORPUS / "jpeg" / "large" / "exifs__mobile__HMD_Nokia_8.3_5G.jpg",
    ],
}


def codecs(quality):
    """name -> (encode(pixels) -> bytes, decode(bytes) -> pixels) for every codec that imports here."""

    def pillow_encode(pixels):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "JPEG", quality=quality, subsampling="4:2:0")
        return buffer.getvalue()

    def pillow_decode(data):
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image)

    found = {
        "cyjpeg": (lambda p: cyjpeg.encode(p, quality=quality, subsampling="4:2:0"), cyjpeg.decode),
        "Pillow": (pillow_encode, pillow_decode),
    }
    try:
        import simplejpeg
    except ImportError:
        return found
    found["simplejpeg"] = (
        lambda p: simplejpeg.encode_jpeg(p, quality=quality, colorspace="RGB", colorsubsampling="420"),
        lambda d: simplejpeg.decode_jpeg(d, colorspace="RGB"),
    )
    return found


def load_set(name):
    paths = [p for p in SETS[name]() if p.exists()]
    return [np.ascontiguousarray(Image.open(p).convert("RGB")) for p in paths]


def run_serial(function, inputs):
    start = time.perf_counter()
    for item in inputs:
        function(item)
    return time.perf_counter() - start


def run_threaded(function, inputs, threads=2):
    """The batch drained by `threads` Python threads from one shared iterator, as a webshop's worker threads
    take the next upload from a common queue. Taking the next item is a GIL-protected `next()`, not a pool
    round trip; and a thread slowed by a busy neighbour on its vCPU takes fewer photos instead of leaving
    the other idle at the end, as fixed halves would."""
    items = iter(inputs)

    def drain():
        for item in items:
            function(item)

    workers = [threading.Thread(target=drain) for _ in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


def sha256_scaling(chunks):
    """The machine's two-thread scaling right now: SHA-256 of 1 MiB chunks (pure ALU work that releases the
    GIL) on one thread over two. On shared virtual CPUs it is often well under 2x."""
    digest = lambda chunk: hashlib.sha256(chunk).digest()
    return run_serial(digest, chunks) / run_threaded(digest, chunks)


def interleaved_rounds(jobs, rounds):
    """jobs: {key: zero-argument callable returning seconds}; {key: [seconds of each round]}, rounds interleaved."""
    for job in jobs.values():  # warm-up: first-touch page faults, lazy imports
        job()
    seconds = {key: [] for key in jobs}
    for _ in range(rounds):
        for key, job in jobs.items():
            seconds[key].append(job())
    return seconds


def interleaved_medians(jobs, rounds):
    """jobs: {key: zero-argument callable returning seconds}; median seconds per key over interleaved rounds."""
    return {key: statistics.median(values) for key, values in interleaved_rounds(jobs, rounds).items()}


def speed_table(set_name, photos, table, rounds, threads):
    megapixels = sum(p.shape[0] * p.shape[1] for p in photos) / 1e6
    jpegs = [table["Pillow"][0](p) for p in photos]
    runners = {"1 thread": run_serial}
    if threads:
        runners["2 threads"] = run_threaded
    jobs = {}
    chunks = [bytes([i]) * (1 << 20) for i in range(12)]
    adjacent = {}  # (codec, op) -> the machine's scaling measured just before each of its 2-thread runs

    def with_reference(key, run):
        adjacent.setdefault(key, []).append(sha256_scaling(chunks))
        return run()

    for name, (encode, decode) in table.items():
        for label, runner in runners.items():
            for op, function, inputs in (("encode", encode, photos), ("decode", decode, jpegs)):
                job = lambda r=runner, f=function, i=inputs: r(f, i)
                if label == "2 threads":
                    job = lambda key=(name, op), run=job: with_reference(key, run)
                jobs[name, op, label] = job
    per_round = interleaved_rounds(jobs, rounds)
    rate = {key: megapixels / statistics.median(values) for key, values in per_round.items()}

    print(f"\n### {set_name}: {len(photos)} photos, {megapixels:.1f} MP per round, {rounds} rounds\n")
    print("| codec | threads | encode MP/s | x Pillow | x simplejpeg | decode MP/s | x Pillow | x simplejpeg |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label in runners:
        for name in table:
            cells = []
            for op in ("encode", "decode"):
                value = rate[name, op, label]
                cells.append(f"{value:.0f}")
                for anchor in ("Pillow", "simplejpeg"):
                    anchor_rate = rate.get((anchor, op, "1 thread"))
                    cells.append(f"{value / anchor_rate:.2f}" if anchor_rate else "-")
            print(f"| {name} | {label} | " + " | ".join(cells) + " |")
    if threads:
        print("\nScaling, 2 threads over 1 thread on the batch: " + ", ".join(
            f"{name} encode {rate[name, 'encode', '2 threads'] / rate[name, 'encode', '1 thread']:.2f}x "
            f"decode {rate[name, 'decode', '2 threads'] / rate[name, 'decode', '1 thread']:.2f}x"
            for name in table))
        # Each codec's 2-thread run next to the machine reference taken just before it (the warm-up run's
        # reference is dropped): the rounds where the reference reached 1.8x are what a quiet machine shows
        # (SHA-256 itself tops out near 1.9x here: 6 MiB per thread, with thread start-up in the time).
        ratios = {key: [one / two for one, two in zip(per_round[key + ("1 thread",)], per_round[key + ("2 threads",)])]
                  for key in adjacent}
        machine = [value for key in adjacent for value in adjacent[key][1:]]
        print(f"Machine reference, SHA-256 on 2 threads over 1, just before each 2-thread run: "
              f"{statistics.median(machine):.2f}x (median; {min(machine):.2f}..{max(machine):.2f}x)")
        cells = []
        for key in adjacent:
            quiet = [ratio for ratio, reference in zip(ratios[key], adjacent[key][1:]) if reference >= 1.8]
            cells.append(f"{key[0]} {key[1]} " + (f"{statistics.median(quiet):.2f}x ({len(quiet)} rounds)"
                                                  if quiet else "- (0 rounds)"))
        print("Scaling in the rounds where that reference reached 1.8x: " + ", ".join(cells))


def split_image_table(photo, rounds):
    """cyjpeg's threads=N on one photo. Encode: bands of MCU rows coded concurrently (same bytes, no markers).
    Decode, three files of the photo: with a restart marker after every MCU row (as cameras write them), read
    in bands of restart intervals; without markers, read by a two-stage pipeline (Huffman decoding on one
    thread, inverse DCT, upsampling and colour on the other); progressive (Pillow's), whose scans are read in
    independent groups (the DC scans, each component's AC scans) on the threads and whose output stage runs
    in bands. Wall time and CPU time (all threads of the process) are
    medians of interleaved rounds: on a shared machine the wall-clock ratio shows what the other core had to
    spare, the CPU time what the split costs."""
    try:
        cyjpeg.encode(photo[:16, :16], threads=2)
    except TypeError:
        print("\n(threads= not supported by this cyjpeg: skipped the one-image split)")
        return
    mcus_x = -(-photo.shape[1] // 16)  # 4:2:0
    progressive = io.BytesIO()
    Image.fromarray(photo).save(progressive, "JPEG", quality=75, progressive=True)
    files = {"decode, RST every MCU row": cyjpeg.encode(photo, threads=1, restart_interval=mcus_x),
             "decode, no RST": cyjpeg.encode(photo, threads=1),
             "decode, progressive": progressive.getvalue()}
    cpu = {}

    def timed(key, function, argument):
        cpu_start = time.process_time()
        seconds = run_serial(function, [argument])
        cpu.setdefault(key, []).append(time.process_time() - cpu_start)
        return seconds

    jobs = {("encode", n): (lambda n=n: timed(("encode", n), lambda p: cyjpeg.encode(p, threads=n), photo))
            for n in (1, 2)}
    ops = ["encode"]
    try:
        cyjpeg.decode(files["decode, no RST"], threads=2)
    except TypeError:
        print("\n(decode(threads=) not supported by this cyjpeg: decode skipped in the one-image split)")
    else:
        for op, data in files.items():
            ops.append(op)
            jobs.update({(op, n): (lambda n=n, op=op, data=data: timed(
                (op, n), lambda d: cyjpeg.decode(d, threads=n), data)) for n in (1, 2)})
    # What the machine had to spare in the same rounds: the photo decoded twice, one after the other, against
    # twice at once on two Python threads (threads=1 each). A quiet machine gives about 2x here.
    reference = "reference: 2 decodes, 2 Python threads"
    pair = [files["decode, no RST"]] * 2
    jobs[reference, 1] = lambda: timed((reference, 1), lambda pair: [cyjpeg.decode(d) for d in pair], pair) / 2
    jobs[reference, 2] = lambda: timed((reference, 2), lambda pair: run_threaded(cyjpeg.decode, pair), pair) / 2
    seconds = interleaved_rounds(jobs, rounds)
    medians = {key: statistics.median(values) for key, values in seconds.items()}
    # Rounds in which the reference found a free second core: the ratios of those rounds are what a quiet
    # machine would show (each round times threads=1 and threads=2 back to back).
    quiet = [r for r in range(rounds) if seconds[reference, 1][r] / seconds[reference, 2][r] >= 1.8]
    megapixels = photo.shape[0] * photo.shape[1] / 1e6
    print(f"\n### one {megapixels:.1f} MP photo, cyjpeg threads=1 vs threads=2 ({rounds} rounds)\n")
    print("| operation | threads=1 MP/s | threads=2 MP/s | ratio | CPU ms threads=1 | CPU ms threads=2 | "
          f"ratio in the {len(quiet)} rounds where the reference reached 1.8x |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for op in ops + [reference]:
        one, two = megapixels / medians[op, 1], megapixels / medians[op, 2]
        cpu_one, cpu_two = (statistics.median(cpu[op, n][1:]) * 1e3 for n in (1, 2))  # [0]: warm-up
        if op == reference:  # per photo
            cpu_one, cpu_two = cpu_one / 2, cpu_two / 2
        quiet_ratio = (f"{statistics.median(seconds[op, 1][r] / seconds[op, 2][r] for r in quiet):.2f}x"
                       if quiet else "-")
        print(f"| {op} | {one:.0f} | {two:.0f} | {two / one:.2f}x | {cpu_one:.1f} | {cpu_two:.1f} | {quiet_ratio} |")


# The child process loads only what the codec call needs (a .npy of the pixels, or the JPEG bytes), so the
# high-water mark before the call is the input itself; decoding the photo with Pillow there would leave a
# peak of twice the image that hides everything the codecs allocate.
MEMORY_PROBE = """
import resource, sys, numpy as np
sys.path[:0] = {path!r}
import bench_speed
encode, decode = bench_speed.codecs(75)[{name!r}]
pixels = np.load({pixels_path!r})
data = open({jpeg_path!r}, "rb").read()
tiny = np.zeros((16, 16, 3), np.uint8)
decode(encode(tiny))  # first-call setup (lazy imports, tables) is not the image's cost
def rss_kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])
try:  # Linux: reset the high-water mark to the current size, so that loading the input does not count
    open("/proc/self/clear_refs", "w").write("5")
    before, peak = rss_kib("VmRSS:"), lambda: rss_kib("VmHWM:")
except OSError:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = {op}({arg})
print((peak() - before) / 1024)
"""


def memory_table(table, photo_path):
    import tempfile

    pixels = np.ascontiguousarray(Image.open(photo_path).convert("RGB"))
    megabytes = pixels.nbytes / 2**20
    print(f"\n### peak memory above the loaded input, one photo ({photo_path.name}, {pixels.shape[1]}x"
          f"{pixels.shape[0]}: {megabytes:.1f} MiB of pixels), MiB\n")
    print("| codec | encode | decode |")
    print("|---|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        pixels_path, jpeg_path = str(Path(folder) / "pixels.npy"), str(Path(folder) / "photo.jpg")
        np.save(pixels_path, pixels)
        Path(jpeg_path).write_bytes(table["Pillow"][0](pixels))
        for name in table:
            cells = []
            for op, arg in (("encode", "pixels"), ("decode", "data")):
                code = MEMORY_PROBE.format(path=[str(Path(__file__).parent)], name=name, op=op, arg=arg,
                                           pixels_path=pixels_path, jpeg_path=jpeg_path)
                out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
                cells.append(f"{float(out.stdout):.1f}" if out.returncode == 0 else "error")
            print(f"| {name} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="kodak,large")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--quality", type=int, default=75)
    parser.add_argument("--no-threads", dest="threads", action="store_false")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--split-only", action="store_true",
                        help="only the one-photo threads=1 vs threads=2 table, on each large photo")
    args = parser.parse_args()

    if args.split_only:
        for photo in load_set("large"):
            split_image_table(photo, args.rounds)
        return
    table = codecs(args.quality)
    print(f"cyjpeg {cyjpeg.__version__}, Pillow {Image.__version__}; quality {args.quality}, 4:2:0, baseline; "
          "medians of interleaved rounds")
    large = []
    for set_name in args.sets.split(","):
        photos = load_set(set_name)
        if not photos:
            print(f"\n(set {set_name}: no photos found under {CORPUS})")
            continue
        speed_table(set_name, photos, table, args.rounds, args.threads)
        if set_name == "large":
            large = photos
    if args.threads and large:
        split_image_table(large[0], args.rounds)
    if args.memory:
        paths = [p for p in SETS["large"]() if p.exists()]
        if paths:
            memory_table(table, paths[0])


if __name__ == "__main__":
    main()
