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
