"""Progressive scans passed over unread (decoder: scan_cannot_show / pass_over_scan): at scale 8 the AC scans of
a component output one sample per block, and in the Y-plane decode (luma=True, the perceptual hash's input)
every chroma scan. On intact files the output must stay bit-exact with Pillow's draft() / draft("L") (block
smoothing included, which reads only DC values and the scan headers' coefficient bits); data that runs out
anywhere (in a scan that would be passed over, or in one that is read) must raise or grey-fill exactly as
a decode that reads every scan."""
import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

import cyjpeg
from cyjpeg import JpegError, _api, _decoder
from conftest import pillow_draft

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
KODAK = CORPUS / "photos" / "kodak"
PHOTOS = sorted(KODAK.glob("kodim0[1-3].png"))


def luma_applies(data):
    """The Y-plane decode applies: a YCbCr frame whose Y has the largest sampling factors."""
    info = cyjpeg.info(data)
    factors = info.sampling_factors
    return (info.components == 3 and info.mode == "RGB" and info.adobe_transform != 0
            and factors[0] == tuple(max(f[i] for f in factors) for i in range(2)))


def check_against_pillow(data, name):
    """scale=8 (every scan a component needs, and none it does not) and the Y-plane decode at scales 1, 2 and 8
    equal Pillow's draft() / draft("L"). Returns how many scans were passed over."""
    before = _decoder._progressive_scans_passed_over()
    np.testing.assert_array_equal(cyjpeg.decode(data, scale=8), pillow_draft(data, 8, None), err_msg=name)
    if luma_applies(data):
        for scale in (1, 2, 8):
            ours, concealed = _api.decode_reporting_damage(data, scale=scale, luma=True)
            assert concealed == [], name
            np.testing.assert_array_equal(ours, pillow_draft(data, scale, "L"), err_msg=f"{name} luma 1/{scale}")
    return _decoder._progressive_scans_passed_over() - before


def scan_offsets(data):
    """Byte offsets of the SOS markers of the frame (the file's own, after its SOF)."""
    offsets, position = [], 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            position += 1
            continue
        code = data[position + 1]
        if code in (0x00, 0xFF) or 0xD0 <= code <= 0xD9 or code == 0x01:
            position += 2 if code != 0xFF else 1
            continue
        length = int.from_bytes(data[position + 2:position + 4], "big")
        if code == 0xDA:
            offsets.append(position)
        position += 2 + length
    return offsets


def scan_header(data, sos):
    ns = data[sos + 4]
    components = [data[sos + 5 + 2 * i] for i in range(ns)]
    ss, se, ahal = data[sos + 5 + 2 * ns:sos + 8 + 2 * ns]
    return components, ss, se, ahal >> 4, ahal & 15


def encode(path, mode="RGB", **options):
    buffer = io.BytesIO()
    with Image.open(path) as image:
        image.convert(mode).save(buffer, "JPEG", progressive=True, **options)
    return buffer.getvalue()


PILLOW_VARIANTS = {
    "q75 4:2:0": dict(quality=75, subsampling=2),
    "q90 4:4:4": dict(quality=90, subsampling=0),
    "q90 4:2:2": dict(quality=90, subsampling=1),
    "q85 grayscale": dict(mode="L", quality=85),
    "q90 4:2:0 restart every 5 MCUs": dict(quality=90, subsampling=2, restart_marker_blocks=5),
    "q80 4:4:4 restart every MCU row": dict(quality=80, subsampling=0, restart_marker_rows=1),
}


@pytest.mark.skipif(not (CORPUS / "jpeg").is_dir(), reason="JPEG corpus not present")
def test_every_intact_progressive_corpus_file_matches_pillow_draft():
    compared = passed_over = 0
    for path in sorted((CORPUS / "jpeg").rglob("*.jpg")):
        data = path.read_bytes()
        try:
            if cyjpeg.info(data).sof != 0xC2:
                continue
            cyjpeg.decode(data, scale=8, strict=True)     # reads every scan: intact files only
        except JpegError:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")            # a Pillow warning means damage libjpeg concealed
                pillow_draft(data, 8, None)
        except Exception:
            continue                                      # e.g. no EOI: Pillow calls it truncated
        passed_over += check_against_pillow(data, str(path.relative_to(CORPUS)))
        compared += 1
    assert compared >= 25 and passed_over > compared


@pytest.mark.skipif(not PHOTOS, reason="corpus photos not present")
@pytest.mark.parametrize("variant", sorted(PILLOW_VARIANTS))
def test_pillow_progressive_files_match_pillow_draft(variant):
    options = dict(PILLOW_VARIANTS[variant])
    mode = options.pop("mode", "RGB")
    for path in PHOTOS:
        data = encode(path, mode, **options)
        assert check_against_pillow(data, f"{path.name} {variant}") > 0


@pytest.mark.skipif(not PHOTOS, reason="corpus photos not present")
@pytest.mark.parametrize("options", [dict(subsampling=2), dict(subsampling=0), dict(mode="L")],
                         ids=["4:2:0", "4:4:4", "gray"])
def test_incomplete_progressions_smooth_as_pillow(options):
    # Files whose scans stop early (EOI after the first k scans): libjpeg smooths the blocks from their
    # neighbours' DC values, estimating the DC too while no AC coefficient was coded. The coefficient bits
    # that decide it come from the headers of the scans passed over.
    options = dict(options)
    data = encode(PHOTOS[0], options.pop("mode", "RGB"), quality=90, **options)
    offsets = scan_offsets(data)
    assert len(offsets) >= 6
    for count in range(1, len(offsets)):
        partial = data[:offsets[count]] + b"\xff\xd9"
        check_against_pillow(partial, f"first {count} scans")


def outcome(data, scale, strict, luma=False):
    """("raises", message) or ("decodes", pixels, messages of the damage concealed)."""
    try:
        pixels, concealed = _api.decode_reporting_damage(data, scale=scale, strict=strict, luma=luma)
    except JpegError as error:
        return ("raises", str(error))
    return ("decodes", pixels, concealed)


def pillow_truncated(data, mode, scale):
    """Pillow's draft decode of data that runs out: ("raises",) by default, and the grey-filled pixels with
    ImageFile.LOAD_TRUNCATED_IMAGES."""
    try:
        pillow_draft(data, scale, mode)
    except OSError:
        refused = True
    else:
        refused = False
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        return refused, pillow_draft(data, scale, mode)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False


@pytest.mark.skipif(not PHOTOS, reason="corpus photos not present")
@pytest.mark.parametrize("options", [dict(subsampling=2), dict(subsampling=0, restart_marker_blocks=3)],
                         ids=["4:2:0", "4:4:4-restarts"])
def test_data_running_out_in_a_passed_over_scan_is_still_truncation(options):
    data = encode(PHOTOS[1], quality=90, **options)
    offsets = scan_offsets(data) + [len(data) - 2]
    cuts = []
    for index, sos in enumerate(offsets[:-1]):
        components, ss, _, _, _ = scan_header(data, sos)
        start = sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")
        # Luma AC scans are passed over at scale 8, chroma scans in the Y-plane decode; DC scans never.
        kind = "dc" if ss == 0 else ("luma ac" if components == [1] else "chroma ac")
        for fraction in (0.1, 0.6):
            cut = start + int((offsets[index + 1] - start) * fraction)
            cuts.append((kind, data[:cut]))
    assert {kind for kind, _ in cuts} == {"dc", "luma ac", "chroma ac"}
    for kind, truncated in cuts:
        for luma in (False, True):
            mode = "L" if luma else None
            refused, grey_filled = pillow_truncated(truncated, mode, 8)
            for strict in (None, True, False):
                before = _decoder._progressive_scans_passed_over()
                at_8 = outcome(truncated, 8, strict, luma)
                # Data that runs out: every scan is read (a refinement scan decodes differently without the
                # scans before it, so the damage would be found elsewhere).
                assert _decoder._progressive_scans_passed_over() == before
                at_1 = outcome(truncated, 1, strict, luma)
                where = f"{kind} cut at {len(truncated)}, strict={strict}, luma={luma}"
                # Judged as a full-scale decode judges it (the same message), and as Pillow does.
                assert at_8[0] == at_1[0], where
                if at_8[0] == "raises":
                    assert at_8[1] == at_1[1] and "truncated" in at_8[1], where
                    assert strict is not False and refused, where
                else:
                    assert strict is False and at_8[2] == at_1[2] and at_8[2], where
                    np.testing.assert_array_equal(at_8[1], grey_filled, err_msg=where)


@pytest.mark.skipif(not PHOTOS, reason="corpus photos not present")
def test_strict_true_reads_every_scan():
    # strict=True promises any damage that can be seen: it passes nothing over, so damage in a luma AC scan
    # raises at scale 8, while the default conceals it (and, not reading the scan, cannot see it).
    data = encode(PHOTOS[0], quality=90, subsampling=2)
    offsets = scan_offsets(data)
    luma_ac = next(sos for sos in offsets if scan_header(data, sos)[:2] == ([1], 1))
    start = luma_ac + 2 + int.from_bytes(data[luma_ac + 2:luma_ac + 4], "big")
    damaged = data[:start + 20] + b"\xff\x00" * 8 + data[start + 36:]
    with pytest.raises(JpegError):
        cyjpeg.decode(damaged, strict=True)
    before = _decoder._progressive_scans_passed_over()
    with pytest.raises(JpegError):
        cyjpeg.decode(damaged, scale=8, strict=True)
    assert _decoder._progressive_scans_passed_over() == before
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        thumbnail = cyjpeg.decode(damaged, scale=8)
    assert _decoder._progressive_scans_passed_over() > before
    np.testing.assert_array_equal(thumbnail, cyjpeg.decode(data, scale=8))


@pytest.mark.skipif(not PHOTOS, reason="corpus photos not present")
def test_walk_fooled_by_damage_still_never_decodes_ac_into_a_dc_only_buffer():
    # The walk for data that runs out (data_runs_out) and the decode can part ways on damaged data: here a
    # garbage marker FF 44 at a restart boundary of the DC scan, which the walk takes as a segment (landing on
    # an EOI: "complete") and the decode's restart resync skips, after which it reads an APP1 segment that
    # hides that EOI. The file is then cut inside a luma AC scan, whose component keeps its DC alone at scale
    # 8. That scan is never decoded into the DC-only buffer: the file is decoded again reading every scan,
    # so the truncation is met (raised, or grey-filled) where a full read meets it.
    with Image.open(PHOTOS[0]) as image:
        gray = image.convert("L").crop((0, 0, 256, 128))
    buffer = io.BytesIO()
    gray.save(buffer, "JPEG", quality=90, progressive=True, restart_marker_blocks=1)
    data = buffer.getvalue()
    offsets = scan_offsets(data)
    first_rst = data.index(b"\xff\xd0", offsets[0])
    decoy = b"\xff\x44\x00\x06" + b"\xff\xe1\x00\x08" + b"\xff\xd9\x00\x00\x00\x00"
    last = offsets[-1]
    assert scan_header(data, last)[1] > 0                  # the last scan is an AC scan
    cut = last + 10 + (len(data) - last) // 2
    damaged = data[:first_rst] + decoy + data[first_rst:cut]
    error = outcome(damaged, 8, None)
    assert error[0] == "raises" and "truncated" in error[1], error
    with pytest.raises(JpegError) as every_scan_read:
        _decoder.decode_image_once(damaged, 8, _api.DEFAULT_MAX_PIXELS, 0, [], False, 1, False)
    assert str(every_scan_read.value) == error[1]
    concealed = outcome(damaged, 8, False)
    assert concealed[0] == "decodes" and concealed[1].shape == (16, 32) and concealed[2], concealed
    notes = []
    grey_filled = _decoder.decode_image_once(damaged, 8, _api.DEFAULT_MAX_PIXELS, -1, notes, False, 1, False)
    np.testing.assert_array_equal(concealed[1], grey_filled)
    with pytest.raises(JpegError):
        cyjpeg.decode(damaged, scale=8, strict=True)


def test_damage_that_fools_the_walk_is_met_as_at_full_scale():
    # A stray marker at a restart boundary (restart() skips it as garbage) read by data_runs_out as a segment
    # whose length lands on an EOI hidden in an APP1, and no real EOI: the walk says the data does not run
    # out, scans are passed over, and the last one then has no end. scale=8 must then read every scan and
    # meet the damage as scale=1 does (here: concealed with a warning), not call it truncation.
    yy, xx = np.mgrid[0:128, 0:256]
    gray = Image.fromarray(((xx * 7 + yy * 3 + (xx * yy) % 97) % 256).astype(np.uint8))
    buffer = io.BytesIO()
    gray.save(buffer, "JPEG", quality=90, progressive=True, restart_marker_blocks=1)
    data = buffer.getvalue()
    first_rst = data.index(b"\xff\xd0")
    decoy = b"\xff\x44\x00\x06" + b"\xff\xe1\x00\x08" + b"\xff\xd9\x00\x00\x00\x00"
    damaged = data[:first_rst] + decoy + data[first_rst:-2]
    full, full_notes = _api.decode_reporting_damage(damaged)
    assert full_notes, "the full decode conceals the stray marker with a note"
    for luma in (False, True):
        small, notes = _api.decode_reporting_damage(damaged, scale=8, luma=luma)
        assert notes == full_notes
        every_scan_read = _decoder.decode_image_once(damaged, 8, _api.DEFAULT_MAX_PIXELS, 0, [], luma, 1, False)
        np.testing.assert_array_equal(small, every_scan_read)
