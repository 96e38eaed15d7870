# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Quality metrics kernels: squared-error sums for PSNR and the mean SSIM, over uint8 samples.

SSIM follows Wang et al. 2004 as scikit-image computes it by default: a 7x7 uniform window, sample
covariance (N / (N - 1)), K1 = 0.01, K2 = 0.03, and the mean over the positions where the window lies wholly
inside the image. Window sums are kept in exact 64-bit integers (a 7x7 sum of 255**2 is far below 2**63), so
the only rounding is in the final per-window formula.
"""
from libc.stdint cimport int64_t, uint8_t
from libc.stdlib cimport calloc, free

cdef enum:
    WINDOW = 7  # the window is WINDOW x WINDOW pixels


def squared_error_sum(const uint8_t[::1] a, const uint8_t[::1] b):
    """Sum of (a - b)**2 over two equally long byte buffers."""
    cdef Py_ssize_t i, n = a.shape[0]
    cdef int64_t total = 0, diff
    if b.shape[0] != n:
        raise ValueError("buffers differ in length")
    with nogil:
        for i in range(n):
            diff = <int64_t>a[i] - <int64_t>b[i]
            total += diff * diff
    return total


def mean_ssim(const uint8_t[:, ::1] a, const uint8_t[:, ::1] b, int channels, double data_range=255.0):
    """Mean SSIM of two (H, W * channels) interleaved images, averaged over channels."""
    cdef Py_ssize_t height = a.shape[0], width = a.shape[1] // channels
    cdef double total = 0.0
    cdef int status = 0, channel
    if a.shape[0] != b.shape[0] or a.shape[1] != b.shape[1]:
        raise ValueError("images differ in shape")
    if height < WINDOW or width < WINDOW:
        raise ValueError(f"SSIM needs images of at least {WINDOW}x{WINDOW} pixels, got {width}x{height}")
    with nogil:
        for channel in range(channels):
            status |= _ssim_channel(&a[0, 0], &b[0, 0], height, width, channels, channel, data_range, &total)
    if status:
        raise MemoryError()
    return total / channels


cdef int _ssim_channel(const uint8_t* a, const uint8_t* b, Py_ssize_t height, Py_ssize_t width, int step,
                       int channel, double data_range, double* total) noexcept nogil:
    # Column sums over the current 7-row band, per column x, of x, y, x*x, y*y and x*y.
    cdef int64_t* column = <int64_t*>calloc(5 * width, sizeof(int64_t))
    if column == NULL:
        return 1
    cdef int64_t* col_a = column
    cdef int64_t* col_b = column + width
    cdef int64_t* col_aa = column + 2 * width
    cdef int64_t* col_bb = column + 3 * width
    cdef int64_t* col_ab = column + 4 * width
    cdef Py_ssize_t row_stride = width * step, x, y, k
    cdef int64_t va, vb, sa, sb, saa, sbb, sab
    cdef double n = WINDOW * WINDOW
    cdef double cov_norm = n / (n - 1.0)
    cdef double c1 = (0.01 * data_range) ** 2, c2 = (0.03 * data_range) ** 2
    cdef double mean_a, mean_b, var_a, var_b, cov_ab, channel_sum = 0.0
    cdef const uint8_t* row_a
    cdef const uint8_t* row_b

    for y in range(WINDOW):
        _add_row(a + y * row_stride + channel, b + y * row_stride + channel, width, step, 1,
                 col_a, col_b, col_aa, col_bb, col_ab)
    for y in range(height - WINDOW + 1):
        sa = sb = saa = sbb = sab = 0
        for k in range(WINDOW):
            sa += col_a[k]; sb += col_b[k]; saa += col_aa[k]; sbb += col_bb[k]; sab += col_ab[k]
        x = 0
        while True:
            mean_a = sa / n
            mean_b = sb / n
            var_a = cov_norm * (saa / n - mean_a * mean_a)
            var_b = cov_norm * (sbb / n - mean_b * mean_b)
            cov_ab = cov_norm * (sab / n - mean_a * mean_b)
            channel_sum += ((2.0 * mean_a * mean_b + c1) * (2.0 * cov_ab + c2)) / (
                (mean_a * mean_a + mean_b * mean_b + c1) * (var_a + var_b + c2))
            if x + WINDOW >= width:
                break
            sa += col_a[x + WINDOW] - col_a[x]
            sb += col_b[x + WINDOW] - col_b[x]
            saa += col_aa[x + WINDOW] - col_aa[x]
            sbb += col_bb[x + WINDOW] - col_bb[x]
            sab += col_ab[x + WINDOW] - col_ab[x]
            x += 1
        if y + WINDOW < height:  # slide the band down one row
            _add_row(a + y * row_stride + channel, b + y * row_stride + channel, width, step, -1,
                     col_a, col_b, col_aa, col_bb, col_ab)
            _add_row(a + (y + WINDOW) * row_stride + channel, b + (y + WINDOW) * row_stride + channel,
                     width, step, 1, col_a, col_b, col_aa, col_bb, col_ab)
    free(column)
    total[0] += channel_sum / ((height - WINDOW + 1) * (width - WINDOW + 1))
    return 0


cdef inline void _add_row(const uint8_t* row_a, const uint8_t* row_b, Py_ssize_t width, int step, int sign,
                          int64_t* col_a, int64_t* col_b, int64_t* col_aa, int64_t* col_bb,
                          int64_t* col_ab) noexcept nogil:
    cdef Py_ssize_t x
    cdef int64_t va, vb
    for x in range(width):
        va = row_a[x * step]
        vb = row_b[x * step]
        col_a[x] += sign * va
        col_b[x] += sign * vb
        col_aa[x] += sign * va * va
        col_bb[x] += sign * vb * vb
        col_ab[x] += sign * va * vb
