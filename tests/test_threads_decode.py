"""decode(threads=N): restart-interval bands, or the two-stage pipeline, give the pixels of the serial decode.

Bands run only on sequential files whose RSTn markers are intact, the pipeline on sequential files without
markers (or with too few intervals for bands); anything irregular (lost or damaged markers, bad codes,
truncation) and progressive files must come out of the serial scan exactly as with threads=1, errors and
strict=False concealment included. Pillow is the oracle for the pixels themselves. The split is
normally kept for frames of a megapixel or more; the tests lower that limit so small files are split too, and
check through a counter that the split really ran where it should.
"""
import io
import signal
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import cyjpeg
from cyjpeg import _decoder
from cyjpeg.errors import JpegError

from conftest import pillow_decode, synthetic_image

RESTART_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "jpeg" / "restart"
MCU_SIZE = {"4:4:4": (8, 8), "4:2:2": (16, 8), "4:2:0": (16, 16), "4:4:0": (8, 16)}


@pytest.fixture(autouse=True)
def split_small_frames():
    previous = _decoder._set_split_min_pixels(0)
    yield
    _decoder._set_split_min_pixels(previous)


def decode_counting_splits(data, **options):
    before = _decoder._split_scans_decoded()
    pixels = cyjpeg.decode(data, **options)
    return pixels, _decoder._split_scans_decoded() - before


def outcome(data, **options):
    """The decoded pixels, or the exception type and message, for comparing a threaded decode to a serial one;
    the warnings (damage concealed) are compared by assert_same_outcome."""
    try:
        return cyjpeg.decode(data, **options)
    except JpegError as error:
        return (type(error), str(error))


def outcome_and_warnings(data, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = outcome(data, **options)
    return result, [(w.category, str(w.message)) for w in caught]


def assert_same_outcome(data, **options):
    serial, serial_warnings = outcome_and_warnings(data, threads=1, **options)
    for threads in (2, 3, 4):
        threaded, threaded_warnings = outcome_and_warnings(data, threads=threads, **options)
        assert threaded_warnings == serial_warnings, threads
        if isinstance(serial, tuple):
            assert threaded == serial, threads
        else:
            assert isinstance(threaded, np.ndarray), threaded
            np.testing.assert_array_equal(threaded, serial, err_msg=f"threads={threads}")
    return serial


@pytest.mark.parametrize("subsampling", ["4:2:0", "4:2:2", "4:4:4", "4:4:0", "gray"])
@pytest.mark.parametrize("interval", ["row", "two rows", 7, "row + 5"])
def test_bands_match_serial_and_pillow(subsampling, interval):
    # 300 x 333: the last MCU column and row are partial; 7 and row + 5 MCUs do not divide an MCU row, so
    # bands start inside an interval and intervals straddle rows.
    gray = subsampling == "gray"
    pixels = synthetic_image(333, 300, channels=1 if gray else 3, seed=5)
    mcu_w, _ = MCU_SIZE["4:4:4" if gray else subsampling]
    mcus_x = -(-300 // mcu_w)
    restart_interval = {"row": mcus_x, "two rows": 2 * mcus_x, "row + 5": mcus_x + 5}.get(interval, interval)
    data = cyjpeg.encode(pixels, quality=85, subsampling="4:4:4" if gray else subsampling,
                         restart_interval=restart_interval)
    serial, splits = decode_counting_splits(data, threads=1)
    assert splits == 0
    np.testing.assert_array_equal(serial, pillow_decode(data))
    for threads in (2, 3, 4):
        threaded, splits = decode_counting_splits(data, threads=threads)
        assert splits == 1, threads
        np.testing.assert_array_equal(threaded, serial, err_msg=f"threads={threads}")


@pytest.mark.parametrize("scale", [2, 4, 8])
@pytest.mark.parametrize("subsampling", ["4:2:0", "4:2:2", "4:4:4", "gray"])
def test_scaled_bands_match_serial_and_pillow_draft(subsampling, scale):
    gray = subsampling == "gray"
    pixels = synthetic_image(410, 390, channels=1 if gray else 3, seed=6)
    data = cyjpeg.encode(pixels, subsampling="4:4:4" if gray else subsampling, restart_interval=5)
    serial = cyjpeg.decode(data, scale=scale)
    with Image.open(io.BytesIO(data)) as image:
        image.draft(image.mode, (image.width // scale, image.height // scale))
        np.testing.assert_array_equal(serial, np.asarray(image))
    for threads in (2, 4):
        threaded, splits = decode_counting_splits(data, scale=scale, threads=threads)
        assert splits == 1
        np.testing.assert_array_equal(threaded, serial)


def test_restart_corpus():
    paths = sorted(RESTART_CORPUS.glob("*.jpg"))
    if not paths:
        pytest.skip(f"restart corpus not found under {RESTART_CORPUS}")
    split = 0
    for path in paths:
        data = path.read_bytes()
        serial, serial_warnings = outcome_and_warnings(data, threads=1)
        for threads in (2, 3, 4):
            before = _decoder._split_scans_decoded()
            threaded, threaded_warnings = outcome_and_warnings(data, threads=threads)
            split += _decoder._split_scans_decoded() - before
            assert threaded_warnings == serial_warnings, path.name
            if isinstance(serial, tuple):
                assert threaded == serial, path.name
            else:
                np.testing.assert_array_equal(threaded, serial, err_msg=f"{path.name} threads={threads}")
    assert split > 0  # at least the libjpeg-turbo 640x480 photo with restarts is split


def restart_file(interval=None, size=(256, 320)):
    pixels = synthetic_image(*size, seed=9)
    mcus_x = -(-size[1] // 16)
    return bytearray(cyjpeg.encode(pixels, quality=80, restart_interval=interval or mcus_x))


def rst_positions(data):
    start = data.index(b"\xff\xda")
    return [i for i in range(start, len(data) - 1) if data[i] == 0xFF and 0xD0 <= data[i + 1] <= 0xD7]


@pytest.mark.parametrize("strict", [None, True, False])
def test_truncated_files_decode_as_serial(strict):
    data = restart_file()
    for cut in (len(data) - 2, len(data) * 3 // 4, len(data) // 2, rst_positions(data)[5] + 1,
                rst_positions(data)[5] + 2):
        assert_same_outcome(bytes(data[:cut]), strict=strict)


@pytest.mark.parametrize("strict", [None, True, False])
@pytest.mark.parametrize("damage", ["renumbered", "removed", "extra", "swapped"])
def test_damaged_markers_fall_back_to_serial(damage, strict):
    data = restart_file()
    positions = rst_positions(data)
    at = positions[6]
    if damage == "renumbered":
        data[at + 1] = 0xD0 + (data[at + 1] - 0xD0 + 1) % 8
    elif damage == "removed":
        del data[at:at + 2]
    elif damage == "extra":
        data[at:at] = bytes([0xFF, data[at + 1]])
    else:
        data[at + 1], data[positions[7] + 1] = data[positions[7] + 1], data[at + 1]
    before = _decoder._split_scans_decoded()
    serial = assert_same_outcome(bytes(data), strict=strict)
    assert _decoder._split_scans_decoded() == before   # every threaded attempt declined
    if not isinstance(serial, tuple):
        np.testing.assert_array_equal(serial, pillow_decode(bytes(data)))


@pytest.mark.parametrize("strict", [None, True, False])
def test_corrupt_entropy_data_falls_back_to_serial(strict):
    # Bytes overwritten inside intervals (markers kept): a bad code, or an interval that runs into its RSTn.
    data = restart_file()
    positions = rst_positions(data)
    for interval in (2, 9, len(positions) - 1):
        damaged = bytearray(data)
        middle = (positions[interval - 1] + positions[interval]) // 2
        damaged[middle:middle + 8] = b"\xff\x00" * 4     # stuffed 0xFF data bytes: 16 one bits are never a code
        assert_same_outcome(bytes(damaged), strict=strict)


def decode_counting_pipelines(data, **options):
    before = _decoder._pipelined_scans_decoded()
    pixels = cyjpeg.decode(data, **options)
    return pixels, _decoder._pipelined_scans_decoded() - before


@pytest.mark.parametrize("scale", [1, 2, 4, 8])
@pytest.mark.parametrize("subsampling", ["4:2:0", "4:2:2", "4:4:4", "4:4:0", "gray"])
def test_pipeline_without_restart_markers(subsampling, scale):
    # No RSTn: one thread reads the bits, another transforms and converts, and the pixels are the serial ones.
    gray = subsampling == "gray"
    pixels = synthetic_image(333, 300, channels=1 if gray else 3, seed=2)
    data = cyjpeg.encode(pixels, subsampling="4:4:4" if gray else subsampling)
    serial = cyjpeg.decode(data, scale=scale)
    if scale == 1:
        np.testing.assert_array_equal(serial, pillow_decode(data))
    for threads in (2, 3):
        threaded, pipelined = decode_counting_pipelines(data, scale=scale, threads=threads)
        assert pipelined == 1
        np.testing.assert_array_equal(threaded, serial)


def test_pipeline_when_intervals_are_too_long_for_bands():
    # Two restart intervals are too few for bands; the pipeline follows the markers instead.
    pixels = synthetic_image(320, 320, seed=12)
    data = cyjpeg.encode(pixels, restart_interval=20 * 12)
    serial = cyjpeg.decode(data)
    np.testing.assert_array_equal(serial, pillow_decode(data))
    threaded, pipelined = decode_counting_pipelines(data, threads=2)
    assert pipelined == 1
    np.testing.assert_array_equal(threaded, serial)


@pytest.mark.parametrize("strict", [None, True, False])
def test_pipeline_damage_falls_back_to_serial(strict):
    plain = bytearray(cyjpeg.encode(synthetic_image(256, 320, seed=13), quality=80))
    long_intervals = bytearray(cyjpeg.encode(synthetic_image(256, 320, seed=13), quality=80,
                                             restart_interval=20 * 8))
    sos = plain.index(b"\xff\xda")
    cases = [plain[:len(plain) * 2 // 3], plain[:-2]]
    for offset in (0.3, 0.7):
        damaged = bytearray(plain)
        at = sos + int((len(plain) - sos) * offset)
        damaged[at:at + 8] = b"\xff\x00" * 4     # stuffed 0xFF data bytes: 16 one bits are never a code
        cases.append(damaged)
    marker = rst_positions(long_intervals)[0]
    renumbered = bytearray(long_intervals)
    renumbered[marker + 1] = 0xD3
    cases += [renumbered, long_intervals[:marker], long_intervals[:marker] + long_intervals[marker + 2:]]
    for data in cases:
        before = _decoder._pipelined_scans_decoded()
        serial = assert_same_outcome(bytes(data), strict=strict)
        if isinstance(serial, tuple):
            assert _decoder._pipelined_scans_decoded() == before, serial
    if strict:  # the cases above do reach the errors
        assert [isinstance(outcome(bytes(data), strict=True), tuple) for data in cases] == [
            True, False, True, True, True, True, True]


def test_progressive_with_restarts_is_serial():
    buffer = io.BytesIO()
    Image.fromarray(synthetic_image(300, 300, seed=3)).save(buffer, "JPEG", progressive=True,
                                                              restart_marker_rows=1)
    data = buffer.getvalue()
    before = _decoder._pipelined_scans_decoded(), _decoder._progressive_outputs_split()
    threaded, splits = decode_counting_splits(data, threads=3)
    # No restart-interval bands or pipeline (those are sequential); the scans are read in groups
    # (test_progressive_scans_in_groups) and the output stage runs in bands.
    assert splits == 0
    assert (_decoder._pipelined_scans_decoded(), _decoder._progressive_outputs_split()) == (before[0], before[1] + 1)
    np.testing.assert_array_equal(threaded, pillow_decode(data))


@pytest.mark.parametrize("scale", [1, 2, 4, 8])
@pytest.mark.parametrize("subsampling", ["4:2:0", "4:2:2", "4:4:4", "gray"])
def test_progressive_output_in_bands(subsampling, scale):
    gray = subsampling == "gray"
    image = Image.fromarray(synthetic_image(333, 300, channels=1 if gray else 3, seed=14))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", progressive=True, quality=85, **({} if gray else {"subsampling": subsampling}))
    data = buffer.getvalue()
    serial = cyjpeg.decode(data, scale=scale)
    if scale == 1:
        np.testing.assert_array_equal(serial, pillow_decode(data))
    for threads in (2, 3, 4):
        before = _decoder._progressive_outputs_split()
        threaded = cyjpeg.decode(data, scale=scale, threads=threads)
        assert _decoder._progressive_outputs_split() == before + 1
        np.testing.assert_array_equal(threaded, serial, err_msg=f"threads={threads}")


def test_truncated_progressive_file_as_serial():
    buffer = io.BytesIO()
    Image.fromarray(synthetic_image(333, 300, seed=15)).save(buffer, "JPEG", progressive=True)
    data = buffer.getvalue()
    for cut in (len(data) // 3, len(data) * 2 // 3, len(data) - 2):
        for strict in (None, True, False):
            assert_same_outcome(data[:cut], strict=strict)


def test_pillow_written_restart_file():
    buffer = io.BytesIO()
    Image.fromarray(synthetic_image(400, 500, seed=4)).save(buffer, "JPEG", quality=90, restart_marker_blocks=11)
    data = buffer.getvalue()
    threaded, splits = decode_counting_splits(data, threads=2)
    assert splits == 1
    np.testing.assert_array_equal(threaded, pillow_decode(data))


def test_threads_argument():
    data = bytes(restart_file())
    serial = cyjpeg.decode(data)
    for threads in (None, 0, np.int64(2)):
        np.testing.assert_array_equal(cyjpeg.decode(data, threads=threads), serial)
    for bad in (-1, 1025, 1.5, "2", True):
        with pytest.raises(ValueError, match="threads"):
            cyjpeg.decode(data, threads=bad)


def test_large_frame_splits_at_default_limit():
    _decoder._set_split_min_pixels(1 << 20)
    pixels = synthetic_image(1024, 1100, seed=8)
    data = cyjpeg.encode(pixels, restart_interval=-(-1100 // 16))
    small = cyjpeg.encode(pixels[:512, :512], restart_interval=32)
    threaded, splits = decode_counting_splits(data, threads=2)
    assert splits == 1
    np.testing.assert_array_equal(threaded, pillow_decode(data))
    assert decode_counting_splits(small, threads=2)[1] == 0
    assert decode_counting_pipelines(small, threads=2)[1] == 0


def test_concurrent_threaded_decodes():
    # Python threads each asking for threads=2 share the pool: every decode still gets its own pixels.
    from concurrent.futures import ThreadPoolExecutor

    pixels = synthetic_image(256, 320, seed=16)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", progressive=True)
    files = [bytes(restart_file()), cyjpeg.encode(pixels, quality=60), buffer.getvalue(),
             cyjpeg.encode(pixels[:, ::-1], restart_interval=3)]
    expected = [cyjpeg.decode(data) for data in files]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: cyjpeg.decode(files[i % 4], threads=2), range(24)))
    for i, result in enumerate(results):
        np.testing.assert_array_equal(result, expected[i % 4])


def test_decode_does_not_wait_for_a_busy_pool():
    # Every worker of the shared pool blocked (other work): the calling thread decodes the bands, or reads
    # and converts the pipeline's rows, itself instead of waiting for a worker.
    import threading

    from cyjpeg import _encoder

    pixels = synthetic_image(256, 320, seed=17)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", progressive=True)
    files = [bytes(restart_file()), cyjpeg.encode(pixels), buffer.getvalue()]
    expected = [cyjpeg.decode(data) for data in files]
    pool = _encoder.band_pool(4)
    release = threading.Event()
    blockers = [pool.submit(release.wait, 60) for _ in range(_encoder._pool_size)]
    try:
        for data, pixels_expected in zip(files, expected):
            np.testing.assert_array_equal(cyjpeg.decode(data, threads=2), pixels_expected)
    finally:
        release.set()
        for blocker in blockers:
            blocker.result()


@pytest.mark.parametrize("strict", [None, True, False])
def test_random_damage_decodes_as_serial(strict):
    # Bytes overwritten, inserted or deleted anywhere in the scan data of a file with restart markers and of
    # one without: whatever the serial decode makes of it (pixels, concealment or error), threads=N makes too.
    rng = np.random.default_rng(18)
    originals = [bytes(restart_file(interval=7)), bytes(restart_file()),
                 cyjpeg.encode(synthetic_image(256, 320, seed=19), quality=80)]
    for trial in range(30):
        data = bytearray(originals[trial % 3])
        sos = data.index(b"\xff\xda") + 14
        at = int(rng.integers(sos, len(data) - 2))
        kind = trial % 3
        if kind == 0:
            data[at] = int(rng.integers(0, 256))
        elif kind == 1:
            data[at:at] = bytes(rng.integers(0, 256, 3, dtype=np.uint8))
        else:
            del data[at:at + int(rng.integers(1, 40))]
        assert_same_outcome(bytes(data), strict=strict)


def test_tests_data_files_decode_as_serial():
    # The arithmetic-coded test files (sequential ones stay serial; progressive ones share the output stage).
    paths = sorted((Path(__file__).parent / "data").glob("*.jpg"))
    if not paths:
        pytest.skip("no tests/data JPEGs")
    for path in paths:
        assert_same_outcome(path.read_bytes())


def test_whole_corpus_decodes_as_serial():
    # Every JPEG of the corpus (all categories: odd samplings, CMYK, arithmetic, lossless, damaged,
    # truncated...), split wherever the file allows it, against the serial decode: same pixels or same error.
    from conftest import CORPUS

    paths = sorted((CORPUS / "jpeg").glob("*/*.jpg"))
    if not paths:
        pytest.skip(f"JPEG corpus not found under {CORPUS / 'jpeg'}")
    before = _decoder._split_scans_decoded(), _decoder._pipelined_scans_decoded()
    for path in paths:
        data = path.read_bytes()
        damaged = path.parent.name in ("corrupt-truncated", "restart")
        for strict in (None, True, False) if damaged else (None,):
            serial, serial_warnings = outcome_and_warnings(data, threads=1, strict=strict)
            threaded, threaded_warnings = outcome_and_warnings(data, threads=3, strict=strict)
            assert threaded_warnings == serial_warnings, path.name
            if isinstance(serial, tuple):
                assert threaded == serial, path.name
            else:
                np.testing.assert_array_equal(threaded, serial, err_msg=path.name)
    assert _decoder._split_scans_decoded() > before[0] and _decoder._pipelined_scans_decoded() > before[1]


@pytest.mark.parametrize("scale", [1, 8])
def test_luma_plane_with_threads(scale):
    # decode_image(luma=True), the perceptual hash's Y-plane decode: chroma only read past, same Y plane.
    from cyjpeg._api import decode_reporting_damage

    pixels = synthetic_image(300, 333, seed=20)
    for data in (bytes(restart_file()), cyjpeg.encode(pixels), cyjpeg.encode(pixels, restart_interval=5)):
        serial, _ = decode_reporting_damage(data, scale=scale, luma=True)
        assert serial.ndim == 2
        for threads in (2, 3):
            threaded, _ = decode_reporting_damage(data, scale=scale, luma=True, threads=threads)
            np.testing.assert_array_equal(threaded, serial)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
def test_an_interrupted_wait_never_frees_what_a_worker_still_uses():
    # A signal handler's exception can cut short the caller's wait for its helper threads; the decode
    # (or encode) must still not free the state they work on. Before the fix this corrupted the heap.
    class Stop(Exception):
        pass

    def stop(*_):
        raise Stop()

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (1500, 2000, 3), dtype=np.uint8)
    with_markers = cyjpeg.encode(pixels, quality=95, restart_interval=4)
    without = cyjpeg.encode(pixels, quality=95)
    buffer = io.BytesIO()
    Image.fromarray(pixels[:800, :1200]).save(buffer, "JPEG", quality=90, progressive=True)
    progressive = buffer.getvalue()          # scans in groups, then the output stage in bands
    expected = cyjpeg.decode(with_markers)
    previous = signal.signal(signal.SIGALRM, stop)
    interrupted = 0
    try:
        for i in range(32):
            # The timer fires once. It can fire after the call has returned, even inside the finally that
            # stops it: the outer try catches Stop wherever it is raised, so that late firing is no failure.
            try:
                signal.setitimer(signal.ITIMER_REAL, 0.002 + 0.001 * (i % 12))
                try:
                    if i % 4 == 0:
                        cyjpeg.decode(with_markers, threads=2)
                    elif i % 4 == 1:
                        cyjpeg.decode(without, threads=2)
                    elif i % 4 == 2:
                        cyjpeg.decode(progressive, threads=2)
                    else:
                        cyjpeg.encode(pixels, quality=95, threads=2)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except Stop:
                interrupted += 1
            scribble = [bytearray(b"\xff" * 300_000) for _ in range(20)]   # reuse what was freed
            del scribble
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert interrupted > 0
    np.testing.assert_array_equal(cyjpeg.decode(with_markers, threads=2), expected)


def segments(data):
    """(marker, start, end) of each marker segment of a JPEG, a scan's entropy-coded data included in its SOS."""
    found, at = [], 2
    while at < len(data):
        marker = data[at + 1]
        if marker == 0xD9:
            break
        end = at + 2 + int.from_bytes(data[at + 2:at + 4], "big")
        if marker == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] not in (0x00, *range(0xD0, 0xD8))):
                end += 1
        found.append((marker, at, end))
        at = end
    return found


def ac_tables_in_one_slot(data):
    """Pillow's progressive file re-muxed so that every AC scan uses AC table 0: the DHT before each chroma AC
    scan now redefines the slot the luma scans use, so each scan must decode with the table in force at its
    own SOS (the groups run out of file order)."""
    out = bytearray(data[:2])
    for marker, start, end in segments(data):
        segment = bytearray(data[start:end])
        if marker == 0xC4:
            at = 4
            while at < 2 + int.from_bytes(segment[2:4], "big"):
                if segment[at] >> 4 == 1:
                    segment[at] = 0x10
                at += 17 + sum(segment[at + 1:at + 17])
        elif marker == 0xDA and segment[5 + 2 * segment[4]] > 0:       # an AC scan (Ss > 0)
            segment[6] &= 0xF0
        out += segment
    return bytes(out + b"\xff\xd9")


def pillow_progressive(mode="RGB", size=(333, 300), seed=21, **options):
    pixels = synthetic_image(size[1], size[0], channels={"L": 1, "RGB": 3, "CMYK": 4}[mode], seed=seed)
    if mode == "L":
        image = Image.fromarray(pixels[..., 0] if pixels.ndim == 3 else pixels, "L")
    else:
        image = Image.fromarray(pixels, mode)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", progressive=True, **options)
    return buffer.getvalue()


def decode_counting_groups(data, threads, **options):
    before = _decoder._progressive_scans_split()
    pixels = cyjpeg.decode(data, threads=threads, **options)
    return pixels, _decoder._progressive_scans_split() - before


PROGRESSIVE_FILES = {
    "4:2:0": lambda: pillow_progressive(subsampling="4:2:0", quality=80),
    "4:4:4": lambda: pillow_progressive(subsampling="4:4:4", quality=90),
    "4:2:2 optimize": lambda: pillow_progressive(subsampling="4:2:2", quality=75, optimize=True),
    "gray": lambda: pillow_progressive("L", quality=85),
    "cmyk": lambda: pillow_progressive("CMYK", quality=85),
    "restart rows": lambda: pillow_progressive(quality=85, restart_marker_rows=1),
    "restart blocks": lambda: pillow_progressive(quality=70, restart_marker_blocks=7),
    "one ac slot": lambda: ac_tables_in_one_slot(pillow_progressive(subsampling="4:2:0", quality=80)),
}


@pytest.mark.parametrize("name", sorted(PROGRESSIVE_FILES))
def test_progressive_scans_in_groups(name):
    data = PROGRESSIVE_FILES[name]()
    serial, groups = decode_counting_groups(data, threads=1)
    assert groups == 0                           # threads=1 takes the serial loop
    np.testing.assert_array_equal(serial, pillow_decode(data))
    for threads in (2, 3):
        for strict in (None, True, False):
            threaded, groups = decode_counting_groups(data, threads, strict=strict)
            assert groups == 1, (threads, strict)
            np.testing.assert_array_equal(threaded, serial, err_msg=f"threads={threads}")
    # Below the size limit the scans stay on one thread.
    _decoder._set_split_min_pixels(1 << 30)
    assert decode_counting_groups(data, threads=2)[1] == 0


def test_one_ac_slot_file_really_redefines_the_slot():
    # The re-muxed file (above) is what it claims: every AC scan selects table 0, and the tables differ.
    data = ac_tables_in_one_slot(pillow_progressive(subsampling="4:2:0", quality=80))
    ac_selectors, ac_tables = set(), set()
    for marker, start, end in segments(data):
        if marker == 0xDA and data[start + 5 + 2 * data[start + 4]] > 0:
            ac_selectors.add(data[start + 6] & 0x0F)
        elif marker == 0xC4 and data[start + 4] >> 4 == 1:
            ac_tables.add(data[start + 4:end])
    assert ac_selectors == {0} and len(ac_tables) > 4


@pytest.mark.parametrize("strict", [None, True, False])
@pytest.mark.parametrize("name", ["4:2:0", "restart rows", "cmyk"])
def test_damaged_progressive_scans_decode_as_serial(name, strict):
    # Truncated, and bytes overwritten, inserted or deleted in the scans: the groups' result is thrown away and
    # the serial loop gives the same pixels, warnings and errors as threads=1.
    original = PROGRESSIVE_FILES[name]()
    rng = np.random.default_rng(22)
    first_scan = original.index(b"\xff\xda")
    cases = [original[:cut] for cut in (len(original) // 2, len(original) - 2, len(original) - 40)]
    for trial in range(12):
        data = bytearray(original)
        at = int(rng.integers(first_scan + 20, len(data) - 2))
        if trial % 3 == 0:
            data[at] = int(rng.integers(0, 256))
        elif trial % 3 == 1:
            data[at:at] = bytes(rng.integers(0, 256, 3, dtype=np.uint8))
        else:
            del data[at:at + int(rng.integers(1, 40))]
        cases.append(bytes(data))
    damaged_outcomes = 0
    thrown_away = _decoder._progressive_groups_thrown_away()
    for data in cases:
        serial, serial_warnings = outcome_and_warnings(data, threads=1, strict=strict)
        damaged_outcomes += isinstance(serial, tuple) or bool(serial_warnings)
        assert_same_outcome(data, strict=strict)
    assert damaged_outcomes > 3                  # the damage is really met
    # ... and some of it inside scans the groups read (not only where the headers decline at once).
    assert _decoder._progressive_groups_thrown_away() > thrown_away


def test_progressive_corpus_files_decode_as_serial():
    # Every progressive JPEG of the corpus (all categories), at threads 2 and 3 as at threads 1.
    from conftest import CORPUS

    paths = sorted((CORPUS / "jpeg").glob("*/*.jpg"))
    if not paths:
        pytest.skip(f"JPEG corpus not found under {CORPUS / 'jpeg'}")
    progressive = grouped = 0
    for path in paths:
        data = path.read_bytes()
        if b"\xff\xc2" not in data[:data.find(b"\xff\xda")]:
            continue
        progressive += 1
        damaged = path.parent.name in ("corrupt-truncated", "restart")
        for strict in (None, True, False) if damaged else (None,):
            before = _decoder._progressive_scans_split()
            assert_same_outcome(data, strict=strict)
            grouped += _decoder._progressive_scans_split() > before
    assert progressive > 20 and grouped > 15


def test_a_submit_cut_short_after_queueing_never_leaves_a_job_running(monkeypatch):
    # The window the test above hits only by chance, made certain: the pool's submit queues the job and then
    # raises (as a signal handler's exception can, inside submit or before its future is stored), so the
    # caller never sees the future. The job must not run on the state the caller frees as it unwinds.
    from cyjpeg import _encoder

    class Stop(Exception):
        pass

    class CutShort:
        def __init__(self, pool):
            self.pool = pool

        def submit(self, *args, **kwargs):
            self.pool.submit(*args, **kwargs)
            raise Stop()

    real_pool = _encoder.band_pool
    pixels = synthetic_image(1400, 1600, seed=31)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, progressive=True)
    files = [cyjpeg.encode(pixels, restart_interval=4), cyjpeg.encode(pixels), buffer.getvalue()]
    expected = [cyjpeg.decode(data) for data in files]
    monkeypatch.setattr(_encoder, "band_pool", lambda threads: CutShort(real_pool(threads)))
    for _ in range(3):
        for data in files:
            with pytest.raises(Stop):
                cyjpeg.decode(data, threads=2)
            scribble = [bytearray(b"\xff" * 300_000) for _ in range(40)]   # reuse what was freed
            del scribble
        with pytest.raises(Stop):
            cyjpeg.encode(pixels, threads=2)
    monkeypatch.undo()
    for data, pixels_before in zip(files, expected):
        np.testing.assert_array_equal(cyjpeg.decode(data, threads=2), pixels_before)
