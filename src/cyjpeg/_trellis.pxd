# Trellis quantization of one block's AC coefficients: the rate-distortion optimal choice of quantized values
# for the actual Huffman code lengths.
#
# Owns the dynamic programme only. Plain quantization rounds each coefficient on its own; here the choice of
# all 63 AC values of a block is made together, because the cost of a value depends on the zero run before
# it (T.81 F.1.2.2: one Huffman symbol per (run, size) pair, ZRL per 16 zeros, EOB after the last nonzero).
# The programme minimises  D + lambda * R  where
#   D = sum over k of ((c_k - v_k * d_k) / d_k)**2   (error in units of the quantizer step, so the table's
#       psychovisual weighting carries over: a coarse step means the error there matters less),
#   R = bits of the symbols and their extra bits, from the code lengths of the file's own optimal tables.
# State: the position of the last nonzero value so far (zeros between two nonzeros cost only distortion).
# Candidates per position (as in mozjpeg's trellis): 0, the rounded value, and the largest value of each
# smaller magnitude category (2**s - 1), which is the cheapest-to-code value nearest the original in its
# category; a value that rounds to 0 stays 0. Does not own DC (kept rounded), code lengths or lambda.
#
# Speed: a predecessor is dropped for good once a later one is cheaper by more than any difference of
# symbol rates can make up (it can never win again), and at most MAX_LOOKBACK predecessors are kept (like
# mozjpeg's trellis speed levels), so dense blocks cost O(63 * MAX_LOOKBACK) instead of O(63**2). On Kodak,
# lookback 3 and the two largest categories cost under 0.2% in BD-rate against the full search.
from libc.stdint cimport uint8_t, int16_t, int32_t, uint32_t, uint64_t
from cyjpeg._tables cimport ZIGZAG_TO_NATURAL

cdef enum:
    MAX_LOOKBACK = 3
    MAX_SIZES = 2        # candidates from the two largest magnitude categories only

cdef extern from "_intrin.h":
    int cy_bit_length(uint32_t x) noexcept nogil


cdef inline uint64_t trellis_block(const int16_t* coefs, const double* inverse_zigzag, const uint8_t* ac_lengths,
                                   double lam, int16_t* out_zigzag) noexcept nogil:
    """coefs: 64 DCT outputs, natural order, scaled by 8 (as _fdct makes them); inverse_zigzag: 1 / (8 * Q)
    in zigzag order; ac_lengths: code length of each AC symbol (every codable symbol > 0); out_zigzag[1..63]: the
    chosen values in zigzag order (out_zigzag[0], the DC, is left alone). Returns the zigzag bitmap of the
    nonzero AC values (what cyjpeg._progressive walks)."""
    cdef double zero_dist[64]          # zero_dist[k]: distortion of coding positions 1..k all as zero
    cdef double best_cost[64]          # best cost with position k the last nonzero so far (0: none)
    cdef int best_prev[64]
    cdef int16_t best_value[64]
    cdef int live[64]                  # positions that may be nonzero, in order
    cdef int nlive = 1, first_live = 0, j
    cdef double floor_k, spread
    cdef uint64_t mask = 0
    cdef int k, i, p, run, s, size, nsizes, symbol, best_k
    cdef int32_t x, rounded, value
    cdef double xn, err, dist, base, cost, zrl_bits, eob_bits
    cdef double cand_dist[16]
    cdef int cand_value[16]
    cdef int cand_size[16]
    # The largest difference two (run, size) symbols' rates can make: a dominated predecessor beyond it
    # is dropped.
    spread = lam * 16.0
    zrl_bits = lam * ac_lengths[0xF0]
    eob_bits = lam * ac_lengths[0x00]
    zero_dist[0] = 0.0
    best_cost[0] = 0.0
    best_prev[0] = -1
    live[0] = 0
    for k in range(1, 64):
        x = coefs[ZIGZAG_TO_NATURAL[k]]
        if x < 0:
            x = -x
        xn = x * inverse_zigzag[k]
        zero_dist[k] = zero_dist[k - 1] + xn * xn
        rounded = <int32_t>(xn + 0.5)
        if rounded == 0:
            continue            # stays zero; only live positions' best_* entries are ever read
        best_cost[k] = 1e300
        best_prev[k] = -1
        best_value[k] = 0
        size = cy_bit_length(<uint32_t>rounded)
        nsizes = 0
        for s in range(size - MAX_SIZES + 1 if size > MAX_SIZES else 1, size):
            value = (1 << s) - 1
            err = xn - value
            cand_value[nsizes] = value
            cand_size[nsizes] = s
            cand_dist[nsizes] = err * err
            nsizes += 1
        err = xn - rounded
        cand_value[nsizes] = rounded
        cand_size[nsizes] = size
        cand_dist[nsizes] = err * err
        nsizes += 1
        if nlive - first_live > MAX_LOOKBACK:
            first_live = nlive - MAX_LOOKBACK
        for i in range(first_live, nlive):
            p = live[i]
            run = k - p - 1
            base = best_cost[p] + (zero_dist[k - 1] - zero_dist[p]) + zrl_bits * (run >> 4)
            run &= 15
            if base >= best_cost[k]:
                continue
            for s in range(nsizes):
                symbol = (run << 4) | cand_size[s]
                cost = base + cand_dist[s] + lam * (ac_lengths[symbol] + cand_size[s])
                if cost < best_cost[k]:
                    best_cost[k] = cost
                    best_prev[k] = p
                    best_value[k] = <int16_t>cand_value[s]
        live[nlive] = k
        nlive += 1
        # Predecessors whose cost (up to here, zeros included) exceeds this one's by more than `spread`
        # can never be the better start of a run again: skip them from now on (they stay for backtracking).
        floor_k = best_cost[k] - zero_dist[k] + spread
        j = first_live
        while j < nlive - 1 and best_cost[live[j]] - zero_dist[live[j]] > floor_k:
            j += 1
        first_live = j
    # Where does the block end? After the last nonzero p: zeros to 63 and an EOB unless p is 63.
    best_k = 0
    cost = zero_dist[63] + eob_bits
    for i in range(1, nlive):
        p = live[i]
        base = best_cost[p] + (zero_dist[63] - zero_dist[p]) + (eob_bits if p < 63 else 0.0)
        if base < cost:
            cost = base
            best_k = p
    for k in range(1, 64):
        out_zigzag[k] = 0
    k = best_k
    while k > 0:
        value = best_value[k]
        out_zigzag[k] = <int16_t>(-value if coefs[ZIGZAG_TO_NATURAL[k]] < 0 else value)
        mask |= (<uint64_t>1) << k
        k = best_prev[k]
    return mask
