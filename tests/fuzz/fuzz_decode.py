"""Coverage-guided fuzz target for cyjpeg.decode() and cyjpeg.info() (atheris / libFuzzer).

Any input may raise JpegError (a ValueError); anything else escaping, a crash, a hang or a large allocation is
a finding. The first input byte picks the decode options so every path (scaled, lenient, converted, oriented)
is reached. Frames are capped at 4 megapixels so the fuzzer spends its time in parsing and entropy decoding
rather than in filling large grey images.

    python tests/fuzz/fuzz_decode.py --make-seeds SEEDS      # seeds: small corpus files, else Pillow encodes
    python tests/fuzz/fuzz_decode.py WORK SEEDS -max_total_time=60
Real coverage of the Cython code needs the extension built with clang -fsanitize=fuzzer-no-link (see
tests/fuzz/README.md); with a normal build atheris still finds crashes, only blindly.
"""
import sys
from pathlib import Path

FUZZ_MAX_PIXELS = 1 << 22


def decode_options(selector):
    return {
        "scale": (1, 2, 4, 8)[selector & 3],
        # bit 6: the default (None: conceal damage with a warning); else bit 2: True or False.
        "strict": None if selector & 64 else not (selector & 4),
        "mode": (None, "RGB", "L", None)[(selector >> 3) & 3],
        "orientation": bool(selector & 32),
        "max_pixels": FUZZ_MAX_PIXELS,
        # bit 7: two threads (restart bands or the pipeline; the split threshold is lowered in main()).
        "threads": 2 if selector & 128 else 1,
        # mode bits 11: the Y-plane-only decode the perceptual hash uses.
        "luma": (selector >> 3) & 3 == 3,
    }


def test_one_input(data):
    import cyjpeg
    from cyjpeg._api import decode_reporting_damage   # decode() without the warning, plus luma=

    if not data:
        return
    try:
        cyjpeg.info(data[1:])
    except cyjpeg.JpegError:
        pass
    try:
        pixels, _ = decode_reporting_damage(data[1:], **decode_options(data[0]))
    except cyjpeg.JpegError:
        return
    assert pixels.dtype.name == "uint8" and pixels.ndim in (2, 3)


def make_seeds(folder):
    """Write seed inputs: an options byte + each corpus JPEG under 30 kB, or Pillow encodes without a corpus."""
    import io

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    corpus = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "jpeg"
    blobs = [p.read_bytes() for p in sorted(corpus.rglob("*")) if p.suffix.lower() in (".jpg", ".jpeg")
             and p.stat().st_size < 30_000] if corpus.is_dir() else []
    if not blobs:
        import numpy as np
        from PIL import Image

        pixels = np.random.default_rng(0).integers(0, 256, size=(24, 40, 3), dtype=np.uint8)
        for options in ({}, {"progressive": True}, {"restart_marker_blocks": 1}, {"subsampling": 0}):
            buffer = io.BytesIO()
            Image.fromarray(pixels).save(buffer, "JPEG", quality=80, **options)
            blobs.append(buffer.getvalue())
    for index, blob in enumerate(blobs):
        (folder / f"seed{index:04d}").write_bytes(bytes([index % 128]) + blob)
    return len(blobs)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--make-seeds":
        print(f"{make_seeds(sys.argv[2])} seeds in {sys.argv[2]}")
        return
    import atheris

    with atheris.instrument_imports(include=["cyjpeg"]):
        import cyjpeg  # noqa: F401  (Python-level coverage of _api; the C coverage comes from the build flags)
    import warnings

    warnings.simplefilter("ignore", cyjpeg.JpegWarning)   # concealed damage is an outcome, not a finding
    from cyjpeg import _decoder

    _decoder._set_split_min_pixels(0)      # split even the fuzzer's small frames when threads=2
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
