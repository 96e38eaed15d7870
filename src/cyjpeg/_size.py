"""The size-optimising encoder path: progressive scans, trellis and adaptive quantization, presets, targets.

Owns the orchestration only (which tables, which quantizer, which scan script) and the target-quality
search; the pixel and entropy work is in cyjpeg._coefficients (colour, DCT, quantizers) and
cyjpeg._progressive (scan coders, marker segments). The baseline encoder (cyjpeg._encoder) is not used
here and is unaffected: `encode()` with default arguments never reaches this module.

Pipeline: pixels -> padded sample planes -> DCT coefficient planes (kept) -> quantized planes (plain
rounding, or trellis with per-block masking weights, re-estimating the Huffman code lengths between passes)
-> a sequential file with optimal tables, or a progressive file with a fixed or searched scan script and one
optimal Huffman table per scan.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from . import _coefficients, _progressive

# ---------------------------------------------------------------------------------------------------------
# Presets: what each costs is documented in README ("Size presets") and measured by benchmarks/bench_rd.py.
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    progressive: bool = True
    trellis_passes: int = 0          # 0: plain rounding
    adaptive: bool = False           # masking-driven trellis weights (needs trellis_passes > 0)
    scan_search: bool = False        # choose each component's scans by size among candidates
    tuned_tables: bool = True        # cyjpeg's own tables instead of the Annex K ones (quality= scaled)
    lam: float = 0.04                # trellis price of one bit, in squared quantizer steps (tuned on Kodak)
    # first trellis pass priced with the Annex K example code lengths instead of a plain-quantization
    # statistics pass (saves a quantize and a counting pass; later passes use the file's own statistics)
    standard_first: bool = True
    script: str = "default"          # "default" (default_script) or "fast" (fast_script)
    dering: bool = False             # overshoot deringing of edges against pure white / black (luma)


# The fast preset's script: spectral selection only (no refinement scans, which cost the most time).
FAST_SCRIPT = "fast"

PRESETS = {
    # ~1.6x the baseline encode time: tuned tables, progressive with five spectral-selection scans
    "fast": Settings(progressive=True, script=FAST_SCRIPT),
    # ~4x: + one trellis pass priced with the Annex K code lengths, deringing against white/black
    "web": Settings(progressive=True, trellis_passes=1, script=FAST_SCRIPT, dering=True),
    # ~5x: + successive-approximation scans (six-scan script with a refinement pass)
    "max": Settings(progressive=True, trellis_passes=1, dering=True),
}
# Adaptive (masking-weighted) trellis is available as encode(adaptive=True) but in no preset: on Kodak it
# moved BD-rate by less than 0.5% either way (SSIM slightly worse, SSIMULACRA2 slightly better).


def settings_for(preset, progressive=False, trellis=False, adaptive=False) -> Settings:
    """The settings of a preset, with explicit options added; without a preset, exactly what was asked
    for (standard tables)."""
    if preset is None:
        return Settings(progressive=bool(progressive), trellis_passes=1 if trellis or adaptive else 0,
                        adaptive=bool(adaptive), tuned_tables=False)
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(map(repr, PRESETS))}, got {preset!r}")
    base = PRESETS[preset]
    return dataclasses.replace(base, progressive=base.progressive or bool(progressive),
                               trellis_passes=max(base.trellis_passes, 1 if trellis or adaptive else 0),
                               adaptive=base.adaptive or bool(adaptive))


# ---------------------------------------------------------------------------------------------------------
# Quantization tables
# ---------------------------------------------------------------------------------------------------------

def _frequency_grid():
    v, u = np.mgrid[0:8, 0:8]
    return u.astype(float), v.astype(float)


def standard_tables(quality: float) -> np.ndarray:
    """The Annex K tables scaled by the IJG formula, for a real-valued quality (target search)."""
    from ._tables import STD_CHROMA_QUANT_TABLE, STD_LUMA_QUANT_TABLE

    scale = 5000.0 / quality if quality < 50 else 200.0 - 2.0 * quality
    base = np.array([STD_LUMA_QUANT_TABLE, STD_CHROMA_QUANT_TABLE], dtype=np.float64)
    return np.clip(np.floor(base * scale / 100.0 + 0.5), 1, 255).astype(np.uint16)


def tuned_tables(quality: float) -> np.ndarray:
    """cyjpeg's tables at `quality` (1..100, real-valued): (2, 64) uint16 natural order, luma and chroma.

    Not the Annex K example tables: a smooth contrast-sensitivity-like shape, the step growing with radial
    frequency as a + b * r**p (plus a little along diagonals, where the eye is less sensitive), with no
    Annex K bumps. The shape parameters were chosen by BD-rate on the Kodak photos (SSIM on luma and
    SSIMULACRA2 on RGB, benchmarks/bench_rd.py). Against Annex K at the same quality: a finer DC (7 against
    16 at quality 50: banding in smooth areas is what SSIM-type metrics see first), coarser low-middle
    luma frequencies, finer highest ones, and chroma much finer at middle and high frequencies (Annex K's
    flat 99s blur colour edges, which SSIMULACRA2 sees). Cb and Cr share the chroma table (the writer takes
    a third table for Cr, but no separate Cr shape has been tuned yet). Scaled with the IJG quality formula, so quality= keeps roughly its
    usual meaning.
    """
    u, v = _frequency_grid()
    radius = np.sqrt(u * u + v * v)
    luma = 11.0 + 4.2 * radius ** 1.2 + 1.2 * np.minimum(u, v)
    chroma = 9.0 + 4.0 * radius ** 1.25 + 2.0 * np.minimum(u, v)
    luma[0, 0] = 7.0
    chroma[0, 0] = 8.0
    scale = 5000.0 / quality if quality < 50 else 200.0 - 2.0 * quality
    out = []
    for base in (luma, chroma):
        out.append(np.clip(np.floor(base * scale / 100.0 + 0.5), 1, 255).reshape(-1))
    return np.array(out, dtype=np.uint16)


# ---------------------------------------------------------------------------------------------------------
# Scan scripts (T.81 G.1.1.1). A scan is (components, Ss, Se, Ah, Al).
# ---------------------------------------------------------------------------------------------------------

def default_script(ncomp: int):
    """The fixed script: what the scan search (below) picks most often on photos. DC of all components in
    one scan (splitting DC by successive approximation rarely pays); luma's first two AC coefficients apart
    from the rest, both at half precision, then one refinement scan for the last bit; chroma AC in one scan
    each."""
    script = [(tuple(range(ncomp)), 0, 0, 0, 0), ((0,), 1, 2, 0, 1), ((0,), 3, 63, 0, 1)]
    script += [((c,), 1, 63, 0, 0) for c in range(1, ncomp)]
    script.append(((0,), 1, 63, 1, 0))
    return script


def fast_script(ncomp: int):
    """Five scans, spectral selection only: DC, luma AC 1..5 and 6..63, one scan per chroma component."""
    script = [(tuple(range(ncomp)), 0, 0, 0, 0), ((0,), 1, 5, 0, 0), ((0,), 6, 63, 0, 0)]
    return script + [((c,), 1, 63, 0, 0) for c in range(1, ncomp)]


def _component_options(c: int):
    """Candidate AC scan sets of one component, each complete (every coefficient down to bit 0): the sets
    the search chose at least sometimes on the Kodak photos at qualities 50..90 (more candidates cost a
    counting pass each and rarely won)."""
    one = (c,)
    options = [[(one, 1, 63, 0, 0)], [(one, 1, 2, 0, 0), (one, 3, 63, 0, 0)]]
    if c == 0:
        options += [[(one, 1, 5, 0, 0), (one, 6, 63, 0, 0)],
                    [(one, 1, 63, 0, 1), (one, 1, 63, 1, 0)],
                    [(one, 1, 2, 0, 1), (one, 3, 63, 0, 1), (one, 1, 63, 1, 0)],
                    [(one, 1, 5, 0, 1), (one, 6, 63, 0, 1), (one, 1, 63, 1, 0)],
                    [(one, 1, 5, 0, 2), (one, 6, 63, 0, 2), (one, 1, 63, 2, 1), (one, 1, 63, 1, 0)]]
    else:
        options.append([(one, 1, 63, 0, 1), (one, 1, 63, 1, 0)])
    return options


def search_script(planes, sampling, width, height):
    """Pick, for DC and for each component's AC, the candidate scan set with the fewest bits. Scan costs
    add up because every scan has its own optimal tables, so components can be chosen independently."""
    ncomp = len(planes)
    all_comps = tuple(range(ncomp))
    dc_options = [[(all_comps, 0, 0, 0, 0)]]
    per_comp = [_component_options(c) for c in range(ncomp)]
    unique = {}
    for options in [dc_options] + per_comp:
        for option in options:
            for scan in option:
                unique.setdefault(scan, None)
    scans = list(unique)
    costs = dict(zip(scans, _progressive.scan_bits(planes, sampling, width, height, scans)))

    def best(options):
        return min(options, key=lambda option: sum(costs[s] for s in option))

    dc = best(dc_options)
    chosen = [best(options) for options in per_comp]
    # Order: DC first scan, all first scans (luma first), then refinements from the highest bit down,
    # so a partial download shows the whole image early.
    script = [dc[0]]
    firsts = [s for option in chosen for s in option if s[3] == 0]
    refines = [s for option in chosen for s in option if s[3] != 0] + dc[1:]
    script += firsts
    script += sorted(refines, key=lambda s: (-s[3], s[1] != 0, s[0]))
    return script


def check_script(script, ncomp):
    """Validate a user script as T.81 G.1.1.1 and libjpeg require; raise ValueError naming the problem."""
    bit_position = [[-1] * 64 for _ in range(ncomp)]
    for index, scan in enumerate(script):
        try:
            comps, ss, se, ah, al = scan
            comps = tuple(int(c) for c in comps)
        except (TypeError, ValueError):
            raise ValueError(f"scan {index}: expected (components, Ss, Se, Ah, Al), got {scan!r}") from None
        if not comps or len(set(comps)) != len(comps) or any(not 0 <= c < ncomp for c in comps):
            raise ValueError(f"scan {index}: components must be distinct indices below {ncomp}")
        if not (0 <= ss <= se <= 63) or not (0 <= al <= 13) or not (0 <= ah <= 13):
            raise ValueError(f"scan {index}: Ss, Se, Ah, Al out of range")
        if ss == 0 and se != 0:
            raise ValueError(f"scan {index}: a progressive DC scan must have Se = 0")
        if ss > 0 and len(comps) != 1:
            raise ValueError(f"scan {index}: an AC scan must have exactly one component")
        if ah and ah != al + 1:
            raise ValueError(f"scan {index}: a refinement scan must have Al = Ah - 1")
        for c in comps:
            for k in range(ss, se + 1):
                expected = -1 if ah == 0 else ah
                if (ah == 0 and bit_position[c][k] != -1) or (ah and bit_position[c][k] != ah):
                    raise ValueError(f"scan {index}: coefficient {k} of component {c} is not at bit {expected}")
                if k > 0 and bit_position[c][0] == -1:
                    raise ValueError(f"scan {index}: AC of component {c} sent before its DC")
                bit_position[c][k] = al
    for c in range(ncomp):
        if any(b != 0 for b in bit_position[c]):
            raise ValueError(f"the script leaves coefficients of component {c} incomplete")
    return [(tuple(int(c) for c in s[0]),) + tuple(int(x) for x in s[1:]) for s in script]


# ---------------------------------------------------------------------------------------------------------
# The encoder
# ---------------------------------------------------------------------------------------------------------

class Analysis:
    """The DCT of an image, kept so that quantization can be redone at other tables without new DCTs."""

    def __init__(self, pixels, h_samp, v_samp, want_activity, dering=False):
        self.height, self.width = pixels.shape[:2]
        samples = _coefficients.sample_planes(pixels, h_samp, v_samp)
        self.sampling = [(h_samp, v_samp), (1, 1), (1, 1)][: len(samples)] if len(samples) == 3 else [(1, 1)]
        h_max = max(h for h, _ in self.sampling)
        v_max = max(v for _, v in self.sampling)
        self.coefs = []
        self.activity = None
        for c, plane in enumerate(samples):
            h, v = self.sampling[c]
            blocks_w = ((self.width * h + h_max - 1) // h_max + 7) // 8
            blocks_h = ((self.height * v + v_max - 1) // v_max + 7) // 8
            self.coefs.append(_coefficients.forward_dct(plane, blocks_w, blocks_h))
            if c == 0 and dering:
                _coefficients.dering(self.coefs[0], plane, blocks_w, blocks_h)
            if c == 0 and want_activity:
                self.activity = _coefficients.activity(plane, blocks_w, blocks_h)
        self.weights = None
        if want_activity:
            self.weights = masking_weights(self.activity, self.coefs, self.sampling)

    def quantize(self, tables, settings: Settings):
        comp_table = self.comp_tables(tables)
        self.masks = None
        if settings.trellis_passes and settings.standard_first:
            planes = None
        else:
            self.masks = [np.empty(co.shape[0] * co.shape[1], dtype=np.uint64) for co in self.coefs]
            planes = [_coefficients.quantize(co, tables[comp_table[c]], self.masks[c])
                      for c, co in enumerate(self.coefs)]
        for _ in range(settings.trellis_passes):
            if planes is None:
                lengths = _progressive.standard_code_lengths()
            else:
                lengths = _progressive.sequential_code_lengths(planes, self.sampling, self.width, self.height)
            self.masks = [np.empty(co.shape[0] * co.shape[1], dtype=np.uint64) for co in self.coefs]
            planes = [
                _coefficients.trellis(co, tables[comp_table[c]], lengths[1, 0 if c == 0 else 1], settings.lam,
                                      self.weights[c] if self.weights is not None and settings.adaptive else None,
                                      self.masks[c])
                for c, co in enumerate(self.coefs)
            ]
        self.planes = planes
        return planes

    def comp_tables(self, tables):
        if len(self.coefs) == 1:
            return [0]
        return [0, 1, 2 if len(tables) > 2 else 1]

    def write(self, planes, tables, settings: Settings, segments=b"", script=None):
        comp_table = self.comp_tables(tables)
        used = np.asarray(tables[: max(comp_table) + 1], dtype=np.uint16)
        if script is None and settings.progressive:
            if settings.scan_search:
                script = search_script(planes, self.sampling, self.width, self.height)
            elif settings.script == FAST_SCRIPT:
                script = fast_script(len(planes))
            else:
                script = default_script(len(planes))
        masks = getattr(self, "masks", None) if planes is getattr(self, "planes", None) else None
        return _progressive.encode_planes(planes, self.sampling, self.width, self.height, used, comp_table,
                                          script if settings.progressive or script else None, segments, masks)


def masking_weights(activity, coefs, sampling):
    """Per-block multipliers of the trellis bit price from the luma masking measure (_adaptive.pxd).

    Smooth blocks and edges (activity near 0) keep weight ~0.8: a little more careful than plain
    trellis; busy texture goes up to ~2.5: zeroing there is masked. Chroma blocks take the mean weight of
    the luma blocks they cover, capped lower (colour bleeding is visible even in texture).
    """
    a = np.asarray(activity, dtype=np.float32)
    luma = (0.8 + 1.7 * (a / (a + 6.0))).astype(np.float32)
    weights = [luma]
    if len(coefs) == 3:
        h, v = sampling[0]
        bh, bw = coefs[1].shape[:2]
        padded = np.pad(luma, ((0, bh * v - luma.shape[0]), (0, bw * h - luma.shape[1])), mode="edge")
        chroma = padded.reshape(bh, v, bw, h).mean(axis=(1, 3))
        chroma = np.minimum(chroma, 1.6).astype(np.float32)
        weights += [chroma, chroma]
    return weights


def encode(pixels, tables, h_samp, v_samp, settings: Settings, segments=b"", script=None):
    analysis = Analysis(pixels, h_samp, v_samp, settings.adaptive and settings.trellis_passes > 0, settings.dering)
    planes = analysis.quantize(tables, settings)
    return analysis.write(planes, tables, settings, segments, script)
