# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Area-average reduction of a 2-D plane, the step of the perceptual hash that makes its 32x32 thumbnail.

Owns one kernel, `area_reduce`, which computes exactly what phash.area_resize defines (and what its numpy
form computed): for each axis in turn, the running sums of the input up to the fractional edges of the output
pixels, their differences, divided by the edge spacing. The operations are the same float64 operations in the
same order (running sums accumulated row after row, `sum + part * pixel`, then `(next - this) / spacing`), so
the values are identical to the last bit, and so are the hashes. Does not own the hash (phash.py).

Only the running sums at the output edges are kept, not the whole running-sum plane: memory is one input
row per edge, and a 1/8-scale photo is reduced in a few microseconds instead of numpy's ~100.
"""
from libc.math cimport floor
from libc.stdlib cimport malloc, free

import numpy as np

cdef extern from *:
    """
    /* `sum + part * pixel` must round twice, as numpy's separate multiply and add do: no fused multiply-add. */
    #if defined(__clang__)
    #pragma STDC FP_CONTRACT OFF
    #elif defined(__GNUC__)
    #pragma GCC optimize ("fp-contract=off")
    #endif
    """


cdef int edges_of(Py_ssize_t in_size, Py_ssize_t out_size, double spacing, Py_ssize_t* whole,
                  double* part) noexcept nogil:
    # Output pixel k covers input [k * spacing, (k + 1) * spacing): edge k is at whole[k] + part[k].
    cdef Py_ssize_t k, index
    cdef double edge
    for k in range(out_size + 1):
        edge = <double>k * spacing
        index = <Py_ssize_t>floor(edge)
        if index > in_size - 1:
            index = in_size - 1
        whole[k] = index
        part[k] = edge - <double>index
    return 0


cdef void reduce_rows(const double* plane, Py_ssize_t row_step, Py_ssize_t col_step, Py_ssize_t in_rows,
                      Py_ssize_t cols, Py_ssize_t out_rows, double* out, Py_ssize_t out_row_step,
                      Py_ssize_t out_col_step, double* running, double* edge_sums, Py_ssize_t* whole,
                      double* part) noexcept nogil:
    # Reduce the first axis (in_rows -> out_rows) of a strided plane, every column alike.
    cdef double spacing = <double>in_rows / <double>out_rows
    cdef Py_ssize_t k, row, col, next_edge = 0
    cdef const double* pixels
    cdef double* sums
    cdef double weighted
    edges_of(in_rows, out_rows, spacing, whole, part)
    for col in range(cols):
        running[col] = 0.0
    for row in range(in_rows):
        pixels = plane + row * row_step
        # Every edge at this row: the running sum of the rows before it plus the cut part of this row.
        while next_edge <= out_rows and whole[next_edge] == row:
            sums = edge_sums + next_edge * cols
            for col in range(cols):
                weighted = part[next_edge] * pixels[col * col_step]
                sums[col] = running[col] + weighted
            next_edge += 1
        if next_edge > out_rows:
            break
        for col in range(cols):
            running[col] = running[col] + pixels[col * col_step]
    for k in range(out_rows):
        for col in range(cols):
            out[k * out_row_step + col * out_col_step] = (
                (edge_sums[(k + 1) * cols + col] - edge_sums[k * cols + col]) / spacing)


def area_reduce(const double[:, :] plane, Py_ssize_t out_h, Py_ssize_t out_w):
    """The out_h x out_w area average of a 2-D float64 array (any strides), as phash.area_resize defines it,
    returned column-major."""
    cdef Py_ssize_t in_h = plane.shape[0], in_w = plane.shape[1]
    if in_h < 1 or in_w < 1 or out_h < 1 or out_w < 1:
        raise ValueError(f"cannot reduce a {in_h}x{in_w} plane to {out_h}x{out_w}")
    if plane.strides[0] % sizeof(double) or plane.strides[1] % sizeof(double):
        raise ValueError("plane strides must be whole float64 items")
    cdef Py_ssize_t item = sizeof(double)
    cdef Py_ssize_t sums_count = max((out_h + 1) * in_w, (out_w + 1) * out_h)
    cdef Py_ssize_t edge_count = max(out_h, out_w) + 1
    # Column-major, the layout the numpy form ends with (its last step is a moveaxis view): the hash's DCT is
    # a BLAS product, whose rounding depends on the operands' layout, so the layout is part of the result.
    out = np.empty((out_h, out_w), dtype=np.float64, order="F")
    cdef double[::1, :] out_view = out
    cdef double* middle = <double*>malloc(out_h * in_w * sizeof(double))     # after the first axis
    cdef double* running = <double*>malloc(max(in_w, out_h) * sizeof(double))
    cdef double* edge_sums = <double*>malloc(sums_count * sizeof(double))
    cdef Py_ssize_t* whole = <Py_ssize_t*>malloc(edge_count * sizeof(Py_ssize_t))
    cdef double* part = <double*>malloc(edge_count * sizeof(double))
    try:
        if middle == NULL or running == NULL or edge_sums == NULL or whole == NULL or part == NULL:
            raise MemoryError()
        with nogil:
            # Rows first (in_h -> out_h, columns alike), then columns of that (in_w -> out_w, rows alike).
            reduce_rows(&plane[0, 0], plane.strides[0] // item, plane.strides[1] // item, in_h, in_w, out_h,
                        middle, in_w, 1, running, edge_sums, whole, part)
            reduce_rows(middle, 1, in_w, in_w, out_h, out_w, &out_view[0, 0], out_h, 1, running, edge_sums,
                        whole, part)
    finally:
        free(middle)
        free(running)
        free(edge_sums)
        free(whole)
        free(part)
    return out
