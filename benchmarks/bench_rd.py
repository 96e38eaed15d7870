#!/usr/bin/env python3
"""Rate-distortion of cyjpeg's size presets beside Pillow, mozjpeg and jpegli (run by hand, not in CI).

    PYTHONPATH=src python3 benchmarks/bench_rd.py [--images DIR] [--max-images N] [--jobs 2]
        [--qualities 30,40,...] [--encoders pillow,mozjpeg,cyjpeg-max,...] [--no-ssimulacra2] [--out DIR]

Every encoder sweeps quality 30..95 over the Kodak photos (4:2:0); every output is decoded by Pillow
(libjpeg-turbo) and compared with the original on
  PSNR-Y       JFIF luma, peak 255;
  SSIM         scikit-image structural_similarity on luma, Gaussian window sigma 1.5 (Wang et al. 2004);
  SSIMULACRA2  the `ssimulacra2` package, on RGB.
BD-rate (Bjontegaard): for each image, log(bits per pixel) is fitted as a cubic polynomial of the metric
for the anchor (Pillow baseline) and the tested encoder; the mean log-rate difference over the metric range
both curves cover gives the rate change at equal quality, exp(mean) - 1. Negative means smaller files.
The table shows the mean over images. SSIM is fitted on the scale -10 log10(1 - SSIM), which is monotonic
(equal SSIM stays equal) and nearly linear in log-rate, so a cubic fits it well.
Encode time: the sum over the sweep of one call per file, relative to Pillow baseline in the same run.

Writes rd.md, rd.json and rd.png into --out (default bench-results/) and prints the Markdown table.
Needs: scikit-image, matplotlib, ssimulacra2; jpeglib (mozjpeg 4.0.3) and pyjpegli rows are skipped
with a note when those packages are missing.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
DEFAULT_IMAGES = REPO.parent / "shared" / "corpus" / "photos" / "kodak"
QUALITIES = (30, 40, 50, 60, 70, 75, 80, 85, 90, 95)
METRICS = ("psnr_y", "ssim", "ssimulacra2")
LABELS = {"psnr_y": "PSNR-Y", "ssim": "SSIM", "ssimulacra2": "SSIMULACRA2"}


# ---- encoders ------------------------------------------------------------------------------------------

def _pillow(pixels, quality, **options):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality, subsampling="4:2:0", **options)
    return buffer.getvalue()


def _mozjpeg(pixels, quality):
    import jpeglib

    handle, path = tempfile.mkstemp(suffix=".jpg")
    os.close(handle)
    try:
        with jpeglib.version("mozjpeg403"):
            jpeglib.from_spatial(np.ascontiguousarray(pixels)).write_spatial(path, qt=quality)
        return Path(path).read_bytes()
    finally:
        os.unlink(path)


def _jpegli(pixels, quality):
    import pyjpegli

    return pyjpegli.encode(pixels, pixels.shape[1], pixels.shape[0], quality)


def encoders(names=None):
    """{name: (label, function(pixels, quality) -> bytes)} for every encoder that imports here."""
    import cyjpeg

    table = {
        "pillow": ("Pillow baseline (anchor)", _pillow),
        "pillow-opt": ("Pillow optimize", lambda p, q: _pillow(p, q, optimize=True)),
        "pillow-prog": ("Pillow progressive+optimize", lambda p, q: _pillow(p, q, optimize=True, progressive=True)),
        "mozjpeg": ("mozjpeg 4.0.3 (jpeglib, default profile)", _mozjpeg),
        "jpegli": ("jpegli (pyjpegli)", _jpegli),
        "cyjpeg": ("cyjpeg baseline", lambda p, q: cyjpeg.encode(p, quality=q)),
        "cyjpeg-fast": ("cyjpeg preset=fast", lambda p, q: cyjpeg.encode(p, quality=q, preset="fast")),
        "cyjpeg-web": ("cyjpeg preset=web", lambda p, q: cyjpeg.encode(p, quality=q, preset="web")),
        "cyjpeg-max": ("cyjpeg preset=max", lambda p, q: cyjpeg.encode(p, quality=q, preset="max")),
    }
    # experiments: CYJPEG_RD_VARIANTS='{"name": {encode keyword arguments}}'
    for name, options in json.loads(os.environ.get("CYJPEG_RD_VARIANTS", "{}")).items():
        table[name] = ("cyjpeg " + json.dumps(options),
                       (lambda kw: lambda p, q: cyjpeg.encode(p, quality=q, **kw))(options))
    available, missing = {}, []
    for name, (label, function) in table.items():
        if names and name not in names:
            continue
        try:
            function(np.zeros((16, 16, 3), np.uint8), 75)
        except Exception as error:  # a missing package, or a build without that codec
            missing.append((name, f"{type(error).__name__}: {error}"))
            continue
        available[name] = (label, function)
    return available, missing


# ---- metrics -------------------------------------------------------------------------------------------

def luma(pixels):
    p = np.asarray(pixels, dtype=np.float64)
    return 0.299 * p[..., 0] + 0.587 * p[..., 1] + 0.114 * p[..., 2]


def measure(original, original_ppm, data, want_s2):
    from skimage.metrics import structural_similarity

    with Image.open(io.BytesIO(data)) as image:
        decoded = np.asarray(image.convert("RGB"))
    y_ref, y_dec = luma(original), luma(decoded)
    mse = float(np.mean((y_ref - y_dec) ** 2))
    result = {
        "psnr_y": 10 * math.log10(255.0 ** 2 / mse) if mse else 99.0,
        "ssim": float(structural_similarity(y_ref, y_dec, data_range=255.0, gaussian_weights=True, sigma=1.5,
                                            use_sample_covariance=False)),
    }
    if want_s2:
        from ssimulacra2 import compute_ssimulacra2

        result["ssimulacra2"] = float(compute_ssimulacra2(io.BytesIO(original_ppm), io.BytesIO(data)))
    return result


def run_image(task):
    path, names, qualities, want_s2 = task
    pixels = np.asarray(Image.open(path).convert("RGB"))
    ppm = io.BytesIO()
    Image.fromarray(pixels).save(ppm, "PPM")
    available, _ = encoders(names)
    records = []
    for name in names:
        label, function = available[name]
        for quality in qualities:
            started = time.perf_counter()
            data = function(pixels, quality)
            seconds = time.perf_counter() - started
            record = {"image": Path(path).stem, "encoder": name, "quality": quality, "seconds": seconds,
                      "bpp": 8.0 * len(data) / (pixels.shape[0] * pixels.shape[1])}
            record.update(measure(pixels, ppm.getvalue(), data, want_s2))
            records.append(record)
    return records


# ---- BD-rate -------------------------------------------------------------------------------------------

def metric_scale(metric, values):
    values = np.asarray(values, dtype=np.float64)
    if metric == "ssim":
        return -10.0 * np.log10(np.maximum(1.0 - values, 1e-10))
    return values


def bd_rate(anchor_bpp, anchor_metric, test_bpp, test_metric):
    """Bjontegaard delta rate in percent: cubic fits of log-rate against the metric, averaged over the
    metric interval both curves span. NaN when they do not overlap or have fewer than 4 points."""
    curves = []
    for bpp, metric in ((anchor_bpp, anchor_metric), (test_bpp, test_metric)):
        bpp, metric = np.asarray(bpp, float), np.asarray(metric, float)
        keep = np.isfinite(bpp) & np.isfinite(metric) & (bpp > 0)
        if keep.sum() < 4:
            return float("nan")
        curves.append((np.log(bpp[keep]), metric[keep]))
    low = max(curves[0][1].min(), curves[1][1].min())
    high = min(curves[0][1].max(), curves[1][1].max())
    if not high > low:
        return float("nan")
    integrals = []
    for log_rate, metric in curves:
        centre, spread = metric.mean(), metric.std() or 1.0   # a centred, scaled abscissa fits stably
        antiderivative = np.polyint(np.polyfit((metric - centre) / spread, log_rate, 3))
        integrals.append(spread * (np.polyval(antiderivative, (high - centre) / spread)
                                   - np.polyval(antiderivative, (low - centre) / spread)))
    return 100.0 * (math.exp((integrals[1] - integrals[0]) / (high - low)) - 1.0)


def summarise(records, names, metrics):
    by = {}
    for r in records:
        by.setdefault((r["encoder"], r["image"]), []).append(r)
    images = sorted({r["image"] for r in records})
    summary = {}
    anchor_seconds = sum(r["seconds"] for r in records if r["encoder"] == "pillow")
    for name in names:
        row = {}
        for metric in metrics:
            values = []
            for image in images:
                a = sorted(by.get(("pillow", image), []), key=lambda r: r["quality"])
                t = sorted(by.get((name, image), []), key=lambda r: r["quality"])
                if a and t:
                    values.append(bd_rate([r["bpp"] for r in a], metric_scale(metric, [r[metric] for r in a]),
                                          [r["bpp"] for r in t], metric_scale(metric, [r[metric] for r in t])))
            finite = [v for v in values if math.isfinite(v)]
            row[metric] = float(np.mean(finite)) if finite else float("nan")
        seconds = sum(r["seconds"] for r in records if r["encoder"] == name)
        row["time_vs_pillow"] = seconds / anchor_seconds if anchor_seconds else float("nan")
        row["ms_per_image"] = 1000 * seconds / max(1, len([r for r in records if r["encoder"] == name]))
        at75 = [r for r in records if r["encoder"] == name and r["quality"] == 75]
        row["bpp_q75"] = float(np.mean([r["bpp"] for r in at75])) if at75 else float("nan")
        summary[name] = row
    return summary


def markdown(summary, labels, metrics, images, qualities):
    lines = [f"{len(images)} images, qualities {','.join(map(str, qualities))}, 4:2:0, all decoded by Pillow.",
             "", "| encoder | " + " | ".join(f"BD-rate {LABELS[m]}" for m in metrics)
             + " | bpp @q75 | ms/encode | time vs Pillow |",
             "|---|" + "---:|" * (len(metrics) + 3)]
    for name, row in summary.items():
        cells = ["%+.1f%%" % row[m] if math.isfinite(row[m]) else "–" for m in metrics]
        lines.append(f"| {labels[name]} | " + " | ".join(cells)
                     + " | %.3f | %.1f | %.1fx |" % (row["bpp_q75"], row["ms_per_image"], row["time_vs_pillow"]))
    return "\n".join(lines) + "\n"


def plot(records, names, labels, metrics, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [m for m in ("ssimulacra2", "ssim", "psnr_y") if m in metrics]
    figure, axes = plt.subplots(1, len(shown), figsize=(6 * len(shown), 4.6), squeeze=False)
    for axis, metric in zip(axes[0], shown):
        for name in names:
            qualities = sorted({r["quality"] for r in records if r["encoder"] == name})
            xs = [np.mean([r["bpp"] for r in records if r["encoder"] == name and r["quality"] == q]) for q in qualities]
            ys = [np.mean([r[metric] for r in records if r["encoder"] == name and r["quality"] == q]) for q in qualities]
            axis.plot(xs, ys, "--" if name.startswith("cyjpeg") else "-", marker="o", ms=3, label=labels[name])
        axis.set_xlabel("bits per pixel (mean over images)")
        axis.set_ylabel(LABELS[metric] + " (mean over images)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", default=str(DEFAULT_IMAGES))
    parser.add_argument("--max-images", type=int, default=0)
    parser.add_argument("--qualities", default=",".join(map(str, QUALITIES)))
    parser.add_argument("--encoders", default="pillow,pillow-opt,pillow-prog,mozjpeg,jpegli,cyjpeg,cyjpeg-fast,"
                                              "cyjpeg-web,cyjpeg-max")
    parser.add_argument("--no-ssimulacra2", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="bench-results")
    args = parser.parse_args(argv)
    paths = sorted(Path(args.images).glob("*.png"))[: args.max_images or None]
    if not paths:
        print(f"no PNG images in {args.images}", file=sys.stderr)
        return 2
    qualities = [int(q) for q in args.qualities.split(",")]
    wanted = [n for n in args.encoders.split(",") if n]
    if "pillow" not in wanted:
        wanted.insert(0, "pillow")
    available, missing = encoders(wanted)
    names = [n for n in wanted if n in available]
    labels = {n: available[n][0] for n in names}
    want_s2 = not args.no_ssimulacra2
    metrics = list(METRICS if want_s2 else METRICS[:2])
    tasks = [(str(p), names, qualities, want_s2) for p in paths]
    started = time.perf_counter()
    records = []
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs) as pool:
            for result in pool.map(run_image, tasks):
                records += result
    else:
        for task in tasks:
            records += run_image(task)
    summary = summarise(records, names, metrics)
    table = markdown(summary, labels, metrics, paths, qualities)
    for name, why in missing:
        table += f"\n- {name}: skipped ({why})"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "rd.md").write_text(table)
    (out / "rd.json").write_text(json.dumps({"summary": summary, "records": records}, indent=1))
    plot(records, names, labels, metrics, out / "rd.png")
    print(table)
    print(f"wrote {out}/rd.{{md,json,png}} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
