"""Bad input: every corrupt or hostile JPEG gives JpegError with a message naming what is wrong and where,
never a crash, a hang or a huge allocation; valid files with features this version lacks give
UnsupportedJpegError naming the feature."""
import io
import platform
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cyjpeg
from cyjpeg import JpegError, UnsupportedJpegError
from conftest import pillow_draft

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "jpeg"


def sample_jpeg(width=48, height=32, **options):
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=80, subsampling=2, **options)
    return buffer.getvalue()


def segment(data, code):
    """Offset of the first 0xFF<code> marker in the headers."""
    pos = 2
    while data[pos + 1] != code:
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return pos


def scan_data_start(data):
    sos = segment(data, 0xDA)
    return sos + 2 + int.from_bytes(data[sos + 2:sos + 4], "big")


def test_empty_data():
    with pytest.raises(JpegError, match="^not a JPEG file: the data is empty$"):
        cyjpeg.decode(b"")


def test_random_bytes():
    rng = np.random.default_rng(1)
    for _ in range(20):
        junk = rng.integers(0, 256, size=int(rng.integers(1, 2000)), dtype=np.uint8).tobytes()
        if junk[:2] == b"\xff\xd8":
            continue
        with pytest.raises(JpegError, match="^not a JPEG file: it starts with"):
            cyjpeg.decode(junk)


def test_random_bytes_after_soi_never_crash():
    rng = np.random.default_rng(2)
    for _ in range(200):
        junk = b"\xff\xd8" + rng.integers(0, 256, size=int(rng.integers(0, 500)), dtype=np.uint8).tobytes()
        with pytest.raises(JpegError):
            cyjpeg.decode(junk)


def test_file_cut_at_ten_points():
    data = sample_jpeg()
    scan_start = scan_data_start(data)
    for fraction in np.linspace(0.05, 0.95, 10):
        cut = int(len(data) * fraction)
        with pytest.raises(JpegError) as caught:
            cyjpeg.decode(data[:cut])
        message = str(caught.value)
        if cut > scan_start:
            assert message.startswith(f"JPEG data is truncated: scan data ends at byte {cut} (in MCU ")
        else:
            assert message.startswith("JPEG data is truncated"), message


def test_missing_eoi_after_complete_scan_is_accepted():
    data = sample_jpeg()
    assert data.endswith(b"\xff\xd9")
    np.testing.assert_array_equal(cyjpeg.decode(data[:-2]), cyjpeg.decode(data))


def test_segment_length_past_end():
    data = bytearray(sample_jpeg())
    dqt = segment(data, 0xDB)
    data[dqt + 2:dqt + 4] = (60000).to_bytes(2, "big")
    with pytest.raises(JpegError, match=rf"^JPEG data is truncated: segment 0xFFDB at byte {dqt} declares 60000 bytes"):
        cyjpeg.decode(bytes(data))


def test_segment_length_below_two():
    data = bytearray(sample_jpeg())
    data[4:6] = (1).to_bytes(2, "big")          # the APP0 (JFIF) length
    with pytest.raises(JpegError, match=r"^invalid JPEG: marker 0xFFE0 at byte 2 has length 1 \(minimum 2\)$"):
        cyjpeg.decode(bytes(data))


def test_sof_length_disagrees_with_component_count():
    data = bytearray(sample_jpeg())
    sof = segment(data, 0xC0)
    data[sof + 2:sof + 4] = (18).to_bytes(2, "big")
    with pytest.raises(JpegError, match=r"SOF segment at byte \d+ has length 18 but 3 components need 17"):
        cyjpeg.decode(bytes(data))


def test_dri_wrong_length():
    data = sample_jpeg(restart_marker_blocks=2)
    dri = segment(data, 0xDD)
    bad = data[:dri + 2] + b"\x00\x05\x00\x02\x00" + data[dri + 6:]
    with pytest.raises(JpegError, match=rf"^invalid JPEG: DRI segment at byte {dri} has length 5, expected 4$"):
        cyjpeg.decode(bad)


def test_huffman_code_that_does_not_exist():
    # Pillow writes the Annex K tables; no luminance DC code is all ones, so 0xFF 0x00 (stuffed) x 4 is invalid.
    data = sample_jpeg()
    start = scan_data_start(data)
    bad = data[:start] + b"\xff\x00" * 4 + data[start + 8:]
    message = r"^JPEG data is corrupt: invalid Huffman code near byte \d+ \(component 1, MCU 0 of 6\)$"
    with pytest.raises(JpegError, match=message) as caught:
        cyjpeg.decode(bad, strict=True)
    # The default decode conceals it as libjpeg does (the code reads as symbol 0 after 17 bits) and warns the
    # same message.
    with pytest.warns(cyjpeg.JpegWarning) as warned:
        np.testing.assert_array_equal(cyjpeg.decode(bad), np.asarray(Image.open(io.BytesIO(bad))))
    assert [str(w.message) for w in warned] == [str(caught.value)]


def baseline_of_dc_differences(blocks, difference):
    """A 8 x (8 * blocks) grayscale baseline JPEG (unit quantization) whose every block adds `difference` to the
    DC prediction and has no AC coefficient: DC table '0' -> category 11, AC table '0' -> EOB."""
    def segment(code, payload):
        return bytes([0xFF, code]) + (len(payload) + 2).to_bytes(2, "big") + payload
    frame = bytes([8]) + (8).to_bytes(2, "big") + (8 * blocks).to_bytes(2, "big") + bytes([1, 1, 0x11, 0])
    tables = bytes([0x00, 1] + [0] * 15 + [11]) + bytes([0x10, 1] + [0] * 15 + [0x00])
    bits = "".join("0" + format(difference, "011b") + "0" for _ in range(blocks))
    bits += "1" * (-len(bits) % 8)
    entropy = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8)).replace(b"\xff", b"\xff\x00")
    return (b"\xff\xd8" + segment(0xDB, b"\x00" + b"\x01" * 64) + segment(0xC0, frame) + segment(0xC4, tables)
            + segment(0xDA, bytes([1, 1, 0x00, 0, 63, 0])) + entropy + b"\xff\xd9")


def test_dc_prediction_past_int16_wraps_as_libjpeg():
    # 40 blocks of DC difference +2047: the prediction passes 32767 at the 17th. libjpeg keeps int16
    # coefficients (the low 16 bits), and its SIMD inverse DCT dequantizes and scales them in 16-bit lanes.
    data = baseline_of_dc_differences(40, 2047)
    with pytest.raises(JpegError, match=r"^JPEG data is corrupt: DC coefficient out of range near byte \d+ "
                                        r"\(component 1, MCU 16\)$") as caught:
        cyjpeg.decode(data, strict=True)
    with pytest.warns(cyjpeg.JpegWarning) as warned:
        np.testing.assert_array_equal(cyjpeg.decode(data), np.asarray(Image.open(io.BytesIO(data))))
    assert [str(w.message) for w in warned] == [str(caught.value)]


def test_scale_8_wraps_out_of_range_means_as_libjpeg():
    # At 1/8 a block is its mean, DC * Q / 8, which libjpeg's C 1x1 transform range-limits through a table
    # indexed by the value & 1023: the clamp within -512..511, a wrap beyond (512 -> 0, 1024 -> 128). Only a
    # damaged DC gets there. Pillow's draft() shows it; a clamp would give 255 for every block here.
    data = baseline_of_dc_differences(16, 2047)         # means 256, 512, 768, 1024, ...
    expected = pillow_draft(data, 8)
    assert expected.ravel()[:4].tolist() == [255, 0, 0, 128]
    np.testing.assert_array_equal(cyjpeg.decode(data, scale=8), expected)
    # Its dequantization table holds Q as a signed 16-bit multiplier: a DQT entry above 32767 is negative.
    unit_table = b"\xff\xdb\x00\x43\x00" + b"\x01" * 64
    wide_table = b"\xff\xdb\x00\x83\x10" + (40000).to_bytes(2, "big") + (1).to_bytes(2, "big") * 63
    assert unit_table in data
    data = data.replace(unit_table, wide_table)
    np.testing.assert_array_equal(cyjpeg.decode(data, scale=8), pillow_draft(data, 8))


def hostile_tables(seed, subsampling, content="noise"):
    """A valid quality-100 file whose 8-bit quantization tables are replaced by random entries of 100..255: the
    dequantized products land far outside int16. content: "noise"; "columns", blocks whose rows are all alike
    (only coefficient row 0 is coded: the 4x4 transform's pass-1 shortcut); or "flat", one value per 16x16
    tile (DC-only blocks, luma and chroma)."""
    rng = np.random.default_rng(seed)
    if content == "noise":
        pixels = rng.integers(0, 256, size=(32, 48, 3), dtype=np.uint8)
    elif content == "columns":
        pixels = np.repeat(rng.integers(0, 256, size=(4, 1, 48, 3), dtype=np.uint8), 8, axis=1).reshape(32, 48, 3)
    else:
        tiles = rng.integers(0, 256, size=(2, 3, 3), dtype=np.uint8)
        pixels = np.repeat(np.repeat(tiles, 16, axis=0), 16, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=100, subsampling=subsampling)
    data = bytearray(buffer.getvalue())
    pos, patched = 2, 0
    while data[pos + 1] != 0xDA:                    # every 8-bit table of every DQT segment
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if data[pos + 1] == 0xDB:
            for table in range(pos + 4, pos + 2 + length, 65):
                data[table + 1:table + 65] = rng.integers(100, 256, 64, dtype=np.uint8).tobytes()
                patched += 1
        pos += 2 + length
    assert patched == 2
    return bytes(data)


def test_dequantization_overflow_matches_pillow():
    # Valid entropy data, hostile quantization tables: DC and AC products far outside int16. libjpeg-turbo's SIMD
    # inverse DCT (what Pillow runs on x86-64) multiplies and adds in 16-bit lanes and saturates each pass;
    # cyjpeg computes the same way, so the pixels agree exactly (and no warning: nothing is damaged).
    data = hostile_tables(11, 0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", cyjpeg.JpegWarning)
        ours = cyjpeg.decode(data)
    np.testing.assert_array_equal(ours, np.asarray(Image.open(io.BytesIO(data))))


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="Pillow runs libjpeg-turbo's x86 SIMD reduced transforms on x86-64 only (NEON's differ)")
@pytest.mark.parametrize("scale", [2, 4, 8])
@pytest.mark.parametrize("subsampling", [0, 2])
@pytest.mark.parametrize("content", ["noise", "columns", "flat"])
def test_reduced_transform_overflow_matches_pillow_draft(scale, subsampling, content):
    # The same hostile tables through the reduced transforms: 4x4 (scale 2, and 4:2:0 chroma at 4), 2x2
    # (scale 4, and 4:2:0 chroma at 8) and 1x1, on blocks of every kind (full, row 0 only, DC only). Pillow's
    # draft() runs libjpeg-turbo's SIMD 4x4 and 2x2 kernels, whose 32-bit sums wrap and whose passes saturate
    # to int16; cyjpeg's transforms compute in the same lanes. (A 64-bit transform differs here in thousands
    # of samples.)
    for seed in range(3):
        data = hostile_tables(seed, subsampling, content)
        np.testing.assert_array_equal(cyjpeg.decode(data, scale=scale), pillow_draft(data, scale),
                                      err_msg=f"seed {seed}")


@pytest.mark.parametrize("width,height", [(0, 32), (48, 0)])
def test_sof_zero_dimension(width, height):
    data = bytearray(sample_jpeg())
    sof = segment(data, 0xC0)
    data[sof + 5:sof + 7] = height.to_bytes(2, "big")
    data[sof + 7:sof + 9] = width.to_bytes(2, "big")
    with pytest.raises(JpegError, match=rf"^invalid JPEG: SOF at byte {sof} declares a {width}x{height} image"):
        cyjpeg.decode(bytes(data))


def test_sof_65535_square_refused_before_allocating():
    data = bytearray(sample_jpeg())
    sof = segment(data, 0xC0)
    data[sof + 5:sof + 9] = b"\xff\xff\xff\xff"
    started = time.perf_counter()
    with pytest.raises(JpegError, match=r"^image is too large: 65535x65535 is more than 178956970 pixels \(max_pixels\)$"):
        cyjpeg.decode(bytes(data))
    assert time.perf_counter() - started < 5        # refused at once, not after touching gigabytes
    assert cyjpeg.info(bytes(data)).width == 65535  # the headers themselves are readable


def test_dht_with_more_than_256_symbols():
    data = bytearray(sample_jpeg())
    dht = segment(data, 0xC4)
    data[dht + 5 + 15] = 255                        # BITS[16] of the first table
    with pytest.raises(JpegError, match=rf"^invalid JPEG: Huffman table at byte {dht + 4} declares \d+ symbols \(at most 256\)$"):
        cyjpeg.decode(bytes(data))


def test_huffman_table_id_out_of_range():
    data = bytearray(sample_jpeg())
    dht = segment(data, 0xC4)
    data[dht + 4] = 0x07
    with pytest.raises(JpegError, match=r"defines table class 0 id 7 \(class 0..1, id 0..3 allowed\)"):
        cyjpeg.decode(bytes(data))


def test_quantization_table_undefined_at_use():
    data = bytearray(sample_jpeg())
    sof = segment(data, 0xC0)
    data[sof + 12] = 3                              # component 1 now uses quantization table 3
    with pytest.raises(JpegError, match=r"^invalid JPEG: component 1 uses quantization table 3, which no DQT defined"):
        cyjpeg.decode(bytes(data))


def test_scan_names_component_not_in_frame():
    data = bytearray(sample_jpeg())
    sos = segment(data, 0xDA)
    data[sos + 5] = 9
    with pytest.raises(JpegError, match=rf"^invalid JPEG: scan at byte {sos} names component 9, which is not in the frame$"):
        cyjpeg.decode(bytes(data))


def test_restart_marker_damaged_resynchronises():
    # Overwrite one RSTn with the next number: libjpeg treats that interval as lost (grey) and carries on.
    pixels = np.full((64, 64, 3), 200, np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, restart_marker_blocks=1)
    data = bytearray(buffer.getvalue())
    first_rst = data.index(b"\xff\xd0", scan_data_start(data))
    data[first_rst + 1] = 0xD1
    message = rf"^JPEG data is corrupt: found marker RST1 instead of RST0 at byte {first_rst} \(after MCU 1 of 16\)$"
    with pytest.raises(JpegError, match=message):
        cyjpeg.decode(bytes(data), strict=True)
    with pytest.warns(cyjpeg.JpegWarning, match=message):
        out = cyjpeg.decode(bytes(data))
    assert out.shape == (64, 64, 3)
    expected = np.asarray(Image.open(io.BytesIO(bytes(data))).convert("RGB"))
    np.testing.assert_array_equal(out, expected)


def test_max_pixels_is_adjustable():
    data = sample_jpeg()                            # 48 x 32 = 1536 pixels
    with pytest.raises(JpegError, match=r"^image is too large: 48x32 is more than 1535 pixels \(max_pixels\)$"):
        cyjpeg.decode(data, max_pixels=1535)
    assert cyjpeg.decode(data, max_pixels=1536).shape == (32, 48, 3)
    assert cyjpeg.decode(data, max_pixels=None).shape == (32, 48, 3)


@pytest.mark.parametrize("category", ["lossless", "12bit"])
def test_unsupported_corpus_files(category):
    folder = CORPUS / category
    if not folder.is_dir():
        pytest.skip(f"corpus not found at {folder}")
    files = [p for p in sorted(folder.iterdir()) if p.suffix.lower() in (".jpg", ".jpeg")]
    assert files
    for path in files:
        with pytest.raises(UnsupportedJpegError):
            cyjpeg.decode(path.read_bytes())


def test_corrupt_truncated_corpus_never_crashes():
    import warnings

    folder = CORPUS / "corrupt-truncated"
    if not folder.is_dir():
        pytest.skip(f"corpus not found at {folder}")
    outcomes = {"decoded": 0, "concealed": 0, "JpegError": 0}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() == ".png":
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", cyjpeg.JpegWarning)
                cyjpeg.decode(path.read_bytes())
            assert all(str(w.message) for w in caught), path.name
            outcomes["concealed" if caught else "decoded"] += 1
        except JpegError as error:
            assert str(error), path.name
            outcomes["JpegError"] += 1
        try:
            cyjpeg.info(path.read_bytes())
        except JpegError:
            pass
    assert sum(outcomes.values()) > 50
    print(f"\ncorrupt-truncated: {outcomes}")


# ----------------------------------------------------------------------------------------------------------
# Arguments, four-component files, and the corrupt corpus under a memory limit

@pytest.mark.parametrize("options,message", [
    (dict(scale=3), "scale must be one of 1, 2, 4, 8, got 3"),
    (dict(scale=True), "scale must be one of 1, 2, 4, 8, got True"),
    (dict(scale=0), "scale must be one of 1, 2, 4, 8, got 0"),
    (dict(mode="CMYK"), "mode must be one of None, 'RGB', 'L', got 'CMYK'"),
    (dict(max_pixels=0), "max_pixels must be from 1 to 4611686018427387904, got 0"),
])
def test_bad_decode_arguments(options, message):
    with pytest.raises(ValueError) as caught:
        cyjpeg.decode(sample_jpeg(), **options)
    assert str(caught.value) == message
    assert not isinstance(caught.value, JpegError)   # the caller's mistake, not the file's


def cmyk_jpeg():
    pixels = np.random.default_rng(3).integers(0, 256, size=(16, 24, 4), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "CMYK").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_cmyk_adobe_segment_past_the_end():
    data = bytearray(cmyk_jpeg())
    adobe = segment(data, 0xEE)
    data[adobe + 2:adobe + 4] = (50000).to_bytes(2, "big")
    with pytest.raises(JpegError, match=rf"^JPEG data is truncated: segment 0xFFEE at byte {adobe} declares 50000 bytes"):
        cyjpeg.decode(bytes(data))


def test_cmyk_adobe_segment_too_short_is_ignored_as_libjpeg_does():
    # An APP14 "Adobe" shorter than its 12 bytes carries no transform: the samples are plain CMYK, as with
    # transform 0. (Pillow cannot open such a file at all.)
    data = cmyk_jpeg()
    adobe = segment(data, 0xEE)
    length = int.from_bytes(data[adobe + 2:adobe + 4], "big")
    short = data[:adobe] + b"\xff\xee\x00\x08Adobe\x00" + data[adobe + 2 + length:]
    header = cyjpeg.info(short)
    assert header.adobe_transform is None and header.mode == "CMYK"
    np.testing.assert_array_equal(cyjpeg.decode(short), cyjpeg.decode(data))


def test_cmyk_adobe_transform_ycck_on_cmyk_samples():
    # Transform 2 says YCCK: the same samples are then colour-converted, as libjpeg (and Pillow) do.
    data = bytearray(cmyk_jpeg())
    adobe = segment(data, 0xEE)
    data[adobe + 4 + 11] = 2
    assert cyjpeg.info(bytes(data)).mode == "YCCK"
    np.testing.assert_array_equal(cyjpeg.decode(bytes(data)), np.asarray(Image.open(io.BytesIO(bytes(data)))))


LIMITED_RUN = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))        # 1 GiB of address space
from pathlib import Path
import cyjpeg
outcomes = {}
slowest = 0.0
for path in sorted(Path(sys.argv[1]).iterdir()):
    if path.suffix.lower() == ".png":
        continue
    data = path.read_bytes()
    for options in ({}, {"strict": True}, {"strict": False}, {"strict": False, "scale": 8},
                    {"mode": "RGB", "orientation": True}):
        started = time.perf_counter()
        try:
            cyjpeg.decode(data, **options)
            kind = "decoded"
        except cyjpeg.JpegError as error:
            kind = type(error).__name__
            assert str(error)
        except MemoryError:
            kind = "MemoryError"
        slowest = max(slowest, time.perf_counter() - started)
        outcomes[kind] = outcomes.get(kind, 0) + 1
    try:
        cyjpeg.info(data)
    except cyjpeg.JpegError:
        pass
# Peak resident memory of this process. Linux's ru_maxrss carries the parent's peak across exec, so VmHWM
# (this address space's own high-water mark) where /proc has it.
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
try:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            peak_mb = int(line.split()[1]) / 1024
except OSError:
    pass
print(json.dumps({"outcomes": outcomes, "slowest": slowest, "peak_rss_mb": peak_mb}))
"""


def test_corrupt_truncated_corpus_within_one_gigabyte():
    # Every file, strict and lenient, full and scaled: JpegError or a decode; never a crash (the child would
    # die by a signal), a hang (the timeout) or an allocation past 1 GiB (MemoryError under RLIMIT_AS).
    import json
    import os
    import subprocess
    import sys

    folder = CORPUS / "corrupt-truncated"
    if not folder.is_dir():
        pytest.skip(f"corpus not found at {folder}")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", LIMITED_RUN, str(folder)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\ncorrupt-truncated under RLIMIT_AS=1GiB: {report}")
    assert "MemoryError" not in report["outcomes"]
    assert sum(report["outcomes"].values()) > 5 * 70
    assert report["slowest"] < 10


def test_huffman_table_with_too_many_short_codes():
    # Fuzzer find: three codes of length 1 cannot exist; building the lookahead for the third once wrote past
    # the table. Now refused before any write.
    data = sample_jpeg()
    bad_table = b"\xff\xc4\x00\x16\x00" + bytes([3] + [0] * 15) + b"\x00\x01\x02"
    with pytest.raises(JpegError, match=r"^invalid JPEG: Huffman table at byte 6 has more codes of some length than fit$"):
        cyjpeg.decode(data[:2] + bad_table + data[2:])


MEMORY_RUN = r"""
import io, resource, sys
import numpy as np
from PIL import Image
import cyjpeg
pixels = np.random.default_rng(0).integers(0, 256, size=(2000, 1500, 3), dtype=np.uint8)
buffer = io.BytesIO()
Image.fromarray(pixels).save(buffer, "JPEG", quality=75, progressive=sys.argv[1] == "progressive")
data = buffer.getvalue()
del pixels, buffer
cyjpeg.decode(data[:1000], strict=False)        # warm up imports and allocator arenas
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = cyjpeg.decode(data)
growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(out.nbytes // 1024, growth)
"""


@pytest.mark.parametrize("kind", ["sequential", "progressive"])
def test_decode_memory_is_output_plus_a_few_mcu_rows(kind):
    # Sequential: the output and a ring of three MCU rows per component. Progressive: plus the coefficient
    # buffer, 2 bytes per coefficient (4:2:0: 1.5 samples per pixel, so 3 bytes per pixel).
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", MEMORY_RUN, kind], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    output_kb, growth_kb = map(int, done.stdout.split())
    allowed = output_kb + 4096 + (output_kb if kind == "progressive" else 0)
    assert growth_kb <= allowed, f"peak grew {growth_kb} kB decoding a {output_kb} kB image"
