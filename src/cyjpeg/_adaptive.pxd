# Local masking measure for adaptive quantization (one number per 8x8 block of luma samples).
#
# Busy texture hides quantization error; smooth areas and edges do not. An edge block has large gradients
# too, so the block's overall activity would wrongly call it busy: instead the block is split into four 4x4
# quadrants, the mean absolute neighbour difference is taken in each, and the SMALLEST of the four is the
# block's activity. A hard edge across smooth backgrounds leaves at least one calm quadrant (low activity:
# protect it); only texture everywhere in the block gives a high value. The encoder maps activity to a
# per-block trellis weight (cyjpeg._size); within standard JPEG the one quantization table per component is
# unchanged, only which coefficients get zeroed varies. Does not own that mapping.
from libc.stdint cimport uint8_t


cdef inline float block_activity(const uint8_t* samples, int stride) noexcept nogil:
    cdef int qx, qy, x, y, a, b
    cdef int total, smallest = 1 << 30
    cdef const uint8_t* row
    for qy in range(2):
        for qx in range(2):
            total = 0
            for y in range(4 * qy, 4 * qy + 4):
                row = samples + y * stride + 4 * qx
                for x in range(4):
                    a = row[x]
                    if x < 3 or qx == 0:            # horizontal neighbour inside the block
                        b = row[x + 1]
                        total += a - b if a > b else b - a
                    if y < 7:                       # vertical neighbour inside the block
                        b = row[x + stride]
                        total += a - b if a > b else b - a
            if total < smallest:
                smallest = total
    return <float>smallest / 28.0                   # about 28 differences per quadrant


# ---- Deringing of hard edges against saturated (pure white or pure black) areas ---------------------------
#
# A sample at 255 decodes to 255 from any value >= 255 (the decoder clamps), so the encoder is free to
# transform a block whose white pixels have been raised above 255. Raising them along the curve the edge was
# already following (instead of the flat 255 that makes the edge a step) removes much of the step's high-
# frequency energy, so quantization leaves less ringing beside the edge: the "overshoot" idea of mozjpeg's
# deringing, done here per row and per column of the block. For each run of saturated samples, the values
# follow a cubic Hermite curve between the unsaturated samples around the run, with the slopes those
# samples had going into it (a run that touches the block edge continues its known side's slope, then
# levels off); the row and column estimates are averaged, and kept within [255, 255 + MAX_OVERSHOOT].
# Black (0) is handled as white in the mirrored range. Does not own the DCT of the result.

cdef enum:
    MAX_OVERSHOOT = 32


cdef inline void overshoot_line(const double* line, int step, const bint* saturated, double* out) noexcept nogil:
    """Fill out[k * step] for the saturated samples of one 8-sample line (mirrored so saturation is 255)."""
    cdef int a = 0, b, x
    cdef double y0, y1, m0, m1, t, span, value
    cdef bint left, right
    while a < 8:
        if not saturated[a * step]:
            a += 1
            continue
        b = a
        while b + 1 < 8 and saturated[(b + 1) * step]:
            b += 1
        left = a >= 1
        right = b <= 6
        y0 = line[(a - 1) * step] if left else 255.0
        y1 = line[(b + 1) * step] if right else 255.0
        m0 = line[(a - 1) * step] - line[(a - 2) * step] if a >= 2 else 0.0
        m1 = line[(b + 1) * step] - line[(b + 2) * step] if b <= 5 else 0.0
        if m0 < 0.0:
            m0 = 0.0
        if m1 < 0.0:
            m1 = 0.0
        for x in range(a, b + 1):
            if left and right:
                span = b - a + 2.0
                t = (x - (a - 1.0)) / span
                value = ((2 * t * t * t - 3 * t * t + 1) * y0 + (t * t * t - 2 * t * t + t) * m0 * span
                         + (-2 * t * t * t + 3 * t * t) * y1 - (t * t * t - t * t) * m1 * span)
            elif left:
                value = y0 + m0 * (x - a + 1.0) - 0.5 * m0 * (x - a + 1.0) * (x - a + 1.0) / (b - a + 2.0)
            elif right:
                value = y1 + m1 * (b + 1.0 - x) - 0.5 * m1 * (b + 1.0 - x) * (b + 1.0 - x) / (b - a + 2.0)
            else:
                value = 255.0
            if value < 255.0:
                value = 255.0
            if value > 255.0 + MAX_OVERSHOOT:
                value = 255.0 + MAX_OVERSHOOT
            out[x * step] = value
        a = b + 1


cdef inline bint dering_samples(const uint8_t* samples, int stride, double* out) noexcept nogil:
    """If the 8x8 block mixes saturated (0 or 255) and other samples, write the deringed block (row-major,
    64 doubles, original range) to out and return True; otherwise return False and leave out alone."""
    cdef double mirrored[64]
    cdef double by_rows[64]
    cdef double by_cols[64]
    cdef bint saturated[64]
    cdef int x, y, level, count
    cdef bint changed = False
    for level in range(2):              # 0: white (255), 1: black (0)
        count = 0
        for y in range(8):
            for x in range(8):
                mirrored[8 * y + x] = samples[y * stride + x] if level == 0 else 255.0 - samples[y * stride + x]
                saturated[8 * y + x] = mirrored[8 * y + x] == 255.0
                count += saturated[8 * y + x]
        if count == 0 or count == 64:
            continue
        for x in range(64):
            by_rows[x] = mirrored[x]
            by_cols[x] = mirrored[x]
        for y in range(8):
            overshoot_line(&mirrored[8 * y], 1, &saturated[8 * y], &by_rows[8 * y])
        for x in range(8):
            overshoot_line(&mirrored[x], 8, &saturated[x], &by_cols[x])
        if not changed:
            for x in range(64):
                out[x] = samples[(x >> 3) * stride + (x & 7)]
        for x in range(64):
            if saturated[x]:
                out[x] = 0.5 * (by_rows[x] + by_cols[x]) if level == 0 else 255.0 - 0.5 * (by_rows[x] + by_cols[x])
        changed = True
    return changed
