"""The `cyjpeg` command line: encode, decode and info on single files.

Image files other than JPEG are read and written with Pillow; JPEG pixels always go through cyjpeg's own codec.
The photo-store commands (compress, dedup) are added by cyjpeg._cli_store when it is present.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from . import __version__
from ._api import SUBSAMPLING_FACTORS, decode, encode, info
from .errors import JpegError
from .metrics import psnr


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args) or 0
    except (JpegError, ValueError, OSError) as error:
        print(f"cyjpeg: error: {error}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cyjpeg", description="JPEG encoder and decoder written in Cython.")
    parser.add_argument("--version", action="version", version=f"cyjpeg {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    enc = commands.add_parser("encode", help="encode any image Pillow reads as a JPEG")
    enc.add_argument("input", type=Path, help="input image (PNG, JPEG, WebP, TIFF, ...)")
    enc.add_argument("output", type=Path, help="output JPEG file")
    enc.add_argument("--quality", "-q", type=int, default=75, help="1..100 (default 75)")
    enc.add_argument("--subsampling", "-s", default="4:2:0", choices=list(SUBSAMPLING_FACTORS))
    enc.add_argument("--optimize", action="store_true", help="optimal Huffman tables (smaller, slower)")
    enc.add_argument("--restart-interval", type=int, default=0, metavar="MCUS")
    enc.set_defaults(handler=_encode_command)

    dec = commands.add_parser("decode", help="decode a JPEG to any format Pillow writes (by extension)")
    dec.add_argument("input", type=Path)
    dec.add_argument("output", type=Path)
    dec.set_defaults(handler=_decode_command)

    inf = commands.add_parser("info", help="print what a JPEG's headers say")
    inf.add_argument("files", type=Path, nargs="+")
    inf.set_defaults(handler=_info_command)

    try:
        from . import _cli_store
    except ImportError:
        pass
    else:
        _cli_store.add_parsers(commands)
    return parser


def read_pixels(path: Path) -> np.ndarray:
    """Pixels of an image file: JPEGs with cyjpeg's decoder, everything else with Pillow."""
    data = path.read_bytes()
    if data[:2] == b"\xff\xd8":
        pixels = decode(data)
        # CMYK JPEGs decode to CMYK; everything downstream (encode, PNG output) wants RGB.
        return decode(data, mode="RGB") if pixels.ndim == 3 and pixels.shape[2] == 4 else pixels
    Image = _pillow()
    with Image.open(path) as image:
        image.load()
        from ._api import as_pixels

        return as_pixels(image)


def _encode_command(args) -> int:
    pixels = read_pixels(args.input)
    data = encode(
        pixels,
        quality=args.quality,
        subsampling=args.subsampling,
        optimize=args.optimize,
        restart_interval=args.restart_interval,
    )
    args.output.write_bytes(data)
    before = args.input.stat().st_size
    height, width = pixels.shape[:2]
    print(
        f"{args.input} -> {args.output}: {width}x{height}, {before:,} -> {len(data):,} bytes "
        f"({100 * (1 - len(data) / before):.1f}% smaller), PSNR {psnr(pixels, decode(data)):.2f} dB"
    )
    return 0


def _decode_command(args) -> int:
    pixels = read_pixels(args.input)
    _pillow().fromarray(pixels).save(args.output)
    print(f"{args.input} -> {args.output}: {pixels.shape[1]}x{pixels.shape[0]}")
    return 0


def _info_command(args) -> int:
    status = 0
    for path in args.files:
        try:
            header = info(path.read_bytes())
        except JpegError as error:
            print(f"{path}: error: {error}")
            status = 1
            continue
        kind = "progressive" if header.progressive else "sequential"
        print(
            f"{path}: {header.width}x{header.height} {header.mode} {header.subsampling} {kind}, "
            f"{header.precision}-bit, SOF{header.sof - 0xC0}, restart interval {header.restart_interval}"
        )
    return status


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise OSError("reading and writing non-JPEG files needs Pillow: pip install Pillow") from None
    return Image


if __name__ == "__main__":
    sys.exit(main())
