"""The `compress` and `dedup` subcommands of the cyjpeg command line (the webshop's job).

cli.py owns the parser and calls `add_parsers(subparsers)`; each subcommand stores its handler as
`args.handler`, which takes the parsed args and returns the exit status. `main()` here runs the two commands on
their own (python -m cyjpeg._cli_store ...), which the tests use.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time


def add_parsers(subparsers):
    """Add `compress` and `dedup` to an argparse subparsers object."""
    from .dedup import DEFAULT_THRESHOLD
    from .store import DEFAULT_QUALITY

    compress = subparsers.add_parser(
        "compress", help="compress every image under SRC into JPEGs under DST, with a report",
        description="Compress every image under SRC (JPEG, PNG, WebP, TIFF: whatever Pillow reads) into a JPEG "
                    "at the same relative path under DST, keeping ICC profile and EXIF. Existing outputs are "
                    "left alone unless --overwrite; unreadable files are reported, not fatal.")
    compress.add_argument("src", metavar="SRC")
    compress.add_argument("dst", metavar="DST")
    level = compress.add_mutually_exclusive_group()
    level.add_argument("--quality", type=int, default=DEFAULT_QUALITY, help=f"1..100 (default {DEFAULT_QUALITY})")
    level.add_argument("--target-ssim", type=float, metavar="S",
                       help="smallest file whose SSIM against the input reaches S (e.g. 0.97)")
    compress.add_argument("--preset", metavar="P", help="encoder speed/size preset (needs the codec's presets)")
    compress.add_argument("--dedup", action="store_true", help="write only one file of each duplicate group")
    compress.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD,
                          help=f"with --dedup: hash distance still called a copy (default {DEFAULT_THRESHOLD})")
    compress.add_argument("--overwrite", action="store_true", help="replace outputs that already exist")
    _add_common(compress)
    compress.set_defaults(handler=run_compress)

    dedup = subparsers.add_parser(
        "dedup", help="find exact and near duplicate images under DIR",
        description="Find duplicate images under DIR: identical bytes, identical pixels, and near copies by a "
                    "64-bit perceptual hash. Each group names the file to keep (largest, then best quality).")
    dedup.add_argument("dir", metavar="DIR")
    dedup.add_argument("--threshold", type=int, default=DEFAULT_THRESHOLD,
                       help=f"largest Hamming distance (of 64 bits) still called a copy (default {DEFAULT_THRESHOLD})")
    dedup.add_argument("--move-duplicates-to", metavar="DIR2",
                       help="move every file to drop into DIR2, keeping its relative path")
    _add_common(dedup)
    dedup.set_defaults(handler=run_dedup)
    return compress, dedup


def _add_common(parser):
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")
    parser.add_argument("--report", metavar="FILE", help="write a report, JSON or CSV by the file's extension")
    parser.add_argument("--engine", choices=("local", "dask"), default="local",
                        help="local processes (default) or a Dask cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="with --engine dask: a running scheduler (default: start a LocalCluster)")
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")


def _fail(message):
    print(f"cyjpeg: error: {message}", file=sys.stderr)
    return 2


def run_compress(args) -> int:
    from .store import compress_tree, format_summary, summarize

    started = time.perf_counter()
    try:
        rows = compress_tree(args.src, args.dst, quality=args.quality, target_ssim=args.target_ssim,
                             preset=args.preset, workers=args.workers, dedup=args.dedup, engine=args.engine,
                             scheduler=args.scheduler, overwrite=args.overwrite, report=args.report,
                             threshold=args.threshold, progress=False if args.no_progress else None)
    except (ValueError, RuntimeError, OSError) as exc:
        return _fail(exc)
    for row in rows:
        if row["status"] == "error":
            print(f"cyjpeg: could not read {row['path']}: {row['reason']}", file=sys.stderr)
    print(format_summary(summarize(rows, time.perf_counter() - started)))
    if args.report:
        print(f"report: {args.report}")
    return 0


def run_dedup(args) -> int:
    from .dedup import find_duplicates, walk_images
    from .store import write_report

    if not os.path.isdir(args.dir):
        return _fail(f"{args.dir!r} is not a folder")
    root = os.path.abspath(args.dir)
    paths = walk_images(root)
    fingerprints = []
    try:
        groups = find_duplicates(paths, threshold=args.threshold, workers=args.workers, engine=args.engine,
                                 scheduler=args.scheduler, progress=not args.no_progress and sys.stderr.isatty(),
                                 fingerprints=fingerprints)
    except (ValueError, RuntimeError) as exc:
        return _fail(exc)
    rows = dedup_rows(root, fingerprints, groups)
    moved = 0
    if args.move_duplicates_to:
        moved = _move_drops(root, rows, args.move_duplicates_to)
    for group_number, group in enumerate(groups, 1):
        print(f"group {group_number}: keep {os.path.relpath(group.keep, root)}")
        for path in group.drop:
            print(f"    drop {os.path.relpath(path, root)}  ({group.kinds[path]}, distance {group.distances[path]})")
    errors = [row for row in rows if row["status"] == "error"]
    for row in errors:
        print(f"cyjpeg: could not read {row['path']}: {row['reason']}", file=sys.stderr)
    dropped = sum(row["status"] == "drop" for row in rows)
    dropped_bytes = sum(row["bytes"] or 0 for row in rows if row["status"] == "drop")
    print(f"{len(rows)} files, {len(groups)} duplicate groups, {dropped} to drop ({dropped_bytes:,} bytes), "
          f"{len(errors)} unreadable" + (f"; moved {moved} to {args.move_duplicates_to}" if moved else ""))
    if args.report:
        write_report(rows, args.report, fields=DEDUP_FIELDS,
                     summary={"files": len(rows), "groups": len(groups), "drop": dropped,
                              "drop_bytes": dropped_bytes, "errors": len(errors), "threshold": args.threshold})
        print(f"report: {args.report}")
    return 0


DEDUP_FIELDS = ["path", "status", "group", "keep", "kind", "distance", "bytes", "width", "height", "quality",
                "phash", "moved_to", "reason"]


def dedup_rows(root, fingerprints, groups):
    """One row per file: status keep / drop / unique / error, its group number and the keeper."""
    placement = {}
    for number, group in enumerate(groups, 1):
        placement[group.keep] = (number, "keep", group.keep, None, None)
        for path in group.drop:
            placement[path] = (number, "drop", group.keep, group.kinds[path], group.distances[path])
    rows = []
    for fp in fingerprints:
        number, status, keep, kind, distance = placement.get(fp["path"], (None, "unique", None, None, None))
        if fp["error"] is not None:
            status = "error"
        rows.append({
            "path": os.path.relpath(fp["path"], root), "status": status, "group": number,
            "keep": None if keep is None else os.path.relpath(keep, root), "kind": kind, "distance": distance,
            "bytes": fp["bytes"], "width": fp["width"], "height": fp["height"], "quality": fp["quality"],
            "phash": None if fp["phash"] is None else f"{fp['phash']:016x}", "moved_to": None,
            "reason": fp["error"] or "",
        })
    return rows


def _move_drops(root, rows, target):
    """Move the files to drop under `target` (same relative paths); never replaces a file already there."""
    moved = 0
    for row in rows:
        if row["status"] != "drop":
            continue
        destination = os.path.join(target, row["path"])
        if os.path.exists(destination):
            row["reason"] = "not moved: destination exists"
            continue
        os.makedirs(os.path.dirname(os.path.abspath(destination)), exist_ok=True)
        shutil.move(os.path.join(root, row["path"]), destination)
        row["moved_to"] = destination
        moved += 1
    return moved


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="cyjpeg")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
