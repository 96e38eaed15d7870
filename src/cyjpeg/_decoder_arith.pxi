# Included by _decoder.pyx (textually part of that module: the loops need its DecoderState, plane rows, IDCT
# and row conversion). The scan loops of arithmetic-coded frames (SOF9 sequential, SOF10 progressive).
#
# The MCU walk, scaled IDCT, coefficient buffer, upsampling and colour conversion are the Huffman path's;
# what differs is the entropy decoder (_arithdec.pxd) and what a restart does: besides the predictions, the
# statistics are reset and the decoder restarts (T.81 F.1.4.4, G.1.3). There are no EOB runs. After a restart
# marker is lost, or the data breaks while concealing (strict=None or False), the blocks up to the next marker keep no data, as there
# is no way to pick up the thread inside an arithmetic-coded interval.
# Truncation: an arithmetic decoder legitimately reads up to two bytes past the coded data and is fed zeros
# after the marker that ends it, so only running out of input with no marker at all is an error (libjpeg
# fails there too). A damaged interval ending early at a marker cannot be told from a complete one.


cdef void arith_reset_statistics(ArithStats* stats, Scan* scan, Component** comps, bint dc, bint ac) noexcept nogil:
    # F.1.4.4 / G.1.3: at the start of a scan and after each restart marker, every bin of the tables the scan
    # uses starts at state 0 with MPS = 0.
    cdef int i
    for i in range(scan.ncomp):
        if dc:
            memset(stats.dc[comps[i].dc_table], 0, ARITH_DC_BINS)
        if ac:
            memset(stats.ac[comps[i].ac_table], 0, ARITH_AC_BINS)
    stats.fixed = QM_FIXED_STATE


cdef int arith_message(DecoderState* st, ArithDecoder* d, int result, int comp_id, long long mcu,
                       long long total) noexcept nogil:
    cdef unsigned long long near = <unsigned long long>d.src.pos
    if result == ARITH_MAGNITUDE:
        snprintf(st.message, MESSAGE_SIZE, "JPEG data is corrupt: arithmetic-coded value with a magnitude "
                 "category above 15 near byte %llu (component %d, MCU %lld of %lld)", near, comp_id, mcu, total)
    else:
        snprintf(st.message, MESSAGE_SIZE, "JPEG data is corrupt: arithmetic-coded zero run past the end of "
                 "the block near byte %llu (component %d, MCU %lld of %lld)", near, comp_id, mcu, total)
    return STATUS_CORRUPT


cdef int decode_arith_scan(DecoderState* st, Scan* scan, const uint8_t* data, size_t size,
                           size_t* pos_io) noexcept nogil:
    # One arithmetic-coded scan: sequential (F.2, blocks through the IDCT into the planes as they are decoded)
    # or progressive (G.1.3, into the coefficient buffers; output_progressive transforms them at the end).
    cdef Frame* frame = &st.frame
    cdef Component* comp
    cdef Component* comps[MAX_COMPONENTS]
    cdef const uint16_t* quants[MAX_COMPONENTS]
    cdef int dc_context[MAX_COMPONENTS]
    cdef ArithStats stats
    cdef ArithDecoder dec
    cdef int16_t coef[64]
    cdef int16_t* block
    cdef int i, bx, by, mx, my, mcus_w, mcus_h, result, expected_rst = 0, lost = 0, bs
    cdef int ri = st.restart_interval, left_in_interval, block_x, block_y
    cdef int ss = scan.ss, se = scan.se, ah = scan.ah, al = scan.al
    cdef bint progressive = frame.progressive
    cdef bint uses_dc = not progressive or (ss == 0 and ah == 0)
    cdef bint uses_ac = not progressive or ss > 0
    cdef bint covers_frame = scan.ncomp == frame.ncomp and not progressive
    cdef long long mcu = 0, total
    cdef uint8_t* dest

    for i in range(scan.ncomp):
        comp = &frame.comp[scan.comp_index[i]]
        comps[i] = comp
        quants[i] = &st.quant[comp.quant_id][0]
        comp.dc_pred = 0
        comp.scanned = 1
        dc_context[i] = 0
    if scan_mcus(st, scan, comps, &mcus_w, &mcus_h) != STATUS_OK:
        return STATUS_CORRUPT
    total = <long long>mcus_w * mcus_h
    st.dead = 0
    memset(&stats, 0, sizeof(stats))
    arith_reset_statistics(&stats, scan, comps, uses_dc, uses_ac)
    br_init(&dec.src, data, pos_io[0], size)
    arith_start(&dec)
    left_in_interval = ri
    for my in range(mcus_h):
        for mx in range(mcus_w):
            if ri and not st.dead:
                if left_in_interval == 0:
                    result = restart(st, &dec.src, &expected_rst, &lost, mcu, total)
                    if result != STATUS_OK:
                        if must_raise(st, True):
                            return result
                        st.dead = 1
                    for i in range(scan.ncomp):
                        comps[i].dc_pred = 0
                        dc_context[i] = 0
                    arith_reset_statistics(&stats, scan, comps, uses_dc, uses_ac)
                    arith_start(&dec)
                    left_in_interval = ri
                left_in_interval -= 1
            for i in range(scan.ncomp):
                comp = comps[i]
                bs = comp.block_size
                for by in range(comp.v if scan.ncomp > 1 else 1):
                    for bx in range(comp.h if scan.ncomp > 1 else 1):
                        if scan.ncomp > 1:
                            block_y = my * comp.v + by
                            block_x = mx * comp.h + bx
                        else:
                            block_y = my
                            block_x = mx
                        if progressive:
                            if st.dead or lost:
                                continue            # the coefficients keep what earlier scans gave them
                            block = comp.coef + (<size_t>block_y * comp.coef_blocks_w + block_x) * 64
                            if ss == 0:
                                if ah == 0:
                                    result = arith_dc_first(&dec, &stats, &st.arith_conditioning, comp.dc_table,
                                                            &dc_context[i], &comp.dc_pred, block, al)
                                else:
                                    result = arith_dc_refine(&dec, &stats, block, al)
                            elif ah == 0:
                                result = arith_decode_ac(&dec, stats.ac[comp.ac_table], &stats.fixed,
                                                         st.arith_conditioning.ac_kx[comp.ac_table], block,
                                                         ss, se, al)
                            else:
                                result = arith_ac_refine(&dec, stats.ac[comp.ac_table], &stats.fixed, block,
                                                         ss, se, al)
                        else:
                            dest = plane_row(comp, block_y * bs) + block_x * bs
                            memset(coef, 0, sizeof(coef))
                            if st.dead or lost:
                                result = 1
                            else:
                                result = arith_decode_block(&dec, &stats, &st.arith_conditioning, comp.dc_table,
                                                            comp.ac_table, &dc_context[i], &comp.dc_pred, coef)
                        if result < 0:
                            arith_message(st, &dec, result, comp.id, mcu, total)
                            if must_raise(st, False):
                                return STATUS_CORRUPT
                            if ri:
                                lost = 1
                            else:
                                st.dead = 1
                            if not progressive:
                                memset(coef, 0, sizeof(coef))
                            result = 1
                        if not progressive:
                            idct_scaled(bs, result == 1, coef, quants[i], dest, comp.stride)
            if not st.dead and not lost and dec.src.stopped and dec.src.marker == 0:
                # The input ended with no marker: the decoder is being fed zeros it should have read as data.
                truncation_message(st, &dec.src, mcu, total)
                if must_raise(st, True):
                    return STATUS_CORRUPT
                st.dead = 1
            mcu += 1
        if covers_frame:
            convert_rows_impl(st, rows_complete(frame, comps[0].block_size, my, mcus_h - 1, frame.out_h), 0)
    if not dec.src.stopped:
        br_find_marker(&dec.src)
    pos_io[0] = dec.src.marker_pos
    return STATUS_OK
