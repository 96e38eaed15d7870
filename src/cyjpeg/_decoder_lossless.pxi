# Included by _decoder.pyx (textually part of that module: it fills the same component planes that the
# upsampling and colour conversion read). Lossless frames (T.81 Annex H, SOF3, Huffman-coded), 8-bit samples.
#
# A lossless "block" is one sample: an interleaved MCU holds h x v samples of each component (H.1.1), a
# non-interleaved one a single sample. Each sample is a prediction from its reconstructed neighbours (Table H.1)
# plus a decoded difference, modulo 2**16; the result, shifted left by the point transform Pt, is the output.
# As libjpeg-turbo (which Pillow uses), the planes are upsampled by replication, never with the triangle
# filters, and there is no scaled decoding. Restart intervals must hold whole MCU rows, as libjpeg-turbo
# assumes: the first row after a restart is predicted like the first row of the scan.


cdef int lossless_ycc_transform(dict meta):
    # Three lossless components are converted from YCbCr only when a JFIF marker or an Adobe transform of 1
    # says they are YCbCr. libjpeg-turbo takes other lossless files as stored (Pillow returns them so, whatever
    # the component ids), and refuses the colour conversion where the markers ask for it, so Pillow cannot
    # read those; we convert them, which is what the markers mean.
    if meta.get("_saw_jfif"):
        return 1
    return 1 if meta.get("adobe_transform") == 1 else 0


cdef int setup_lossless_frame(DecoderState* st, int scale) except -1:
    # H.1.1 and A.2.4: component sizes and MCU counts with one-sample blocks; one full plane per component.
    cdef Frame* frame = &st.frame
    cdef Component* comp
    cdef int i
    cdef size_t plane_bytes
    if scale != 1:
        raise UnsupportedJpegError(f"scaled decoding (scale={scale}) of lossless JPEG is not supported")
    frame.mcus_x = (frame.width + frame.hmax - 1) // frame.hmax
    frame.mcus_y = (frame.height + frame.vmax - 1) // frame.vmax
    frame.scale_bs = 1
    frame.out_w = frame.width
    frame.out_h = frame.height
    for i in range(frame.ncomp):
        comp = &frame.comp[i]
        if frame.hmax % comp.h or frame.vmax % comp.v:
            raise UnsupportedJpegError(f"component {comp.id} has sampling factors {comp.h}x{comp.v}, a "
                                       f"non-integral fraction of {frame.hmax}x{frame.vmax} (libjpeg refuses these too)")
        comp.block_size = 1
        comp.h_ratio = frame.hmax // comp.h
        comp.v_ratio = frame.vmax // comp.v
        comp.sample_w = (frame.width * comp.h + frame.hmax - 1) // frame.hmax
        comp.sample_h = (frame.height * comp.v + frame.vmax - 1) // frame.vmax
        comp.blocks_w = comp.sample_w          # the samples a non-interleaved scan codes
        comp.blocks_h = comp.sample_h
        comp.stride = frame.mcus_x * comp.h
        comp.plane_rows = frame.mcus_y * comp.v
        comp.upsample = UPSAMPLE_NONE if comp.h_ratio == 1 and comp.v_ratio == 1 else UPSAMPLE_REPLICATE
        plane_bytes = <size_t>comp.stride * comp.plane_rows
        comp.plane = <uint8_t*>malloc(plane_bytes)
        comp.row_buffer = <uint8_t*>calloc(comp.stride * comp.h_ratio + 64, 1)
        if comp.plane == NULL or comp.row_buffer == NULL:
            raise MemoryError()
        memset(comp.plane, 128, plane_bytes)
    return 0


cdef int prepare_lossless_scan(DecoderState* st, Scan* scan) except -1:
    # With the GIL, before a lossless scan: H.2.1 scan parameters (Ss = predictor 1..7, Se = 0, Ah = 0,
    # Al = point transform below the precision), the Huffman tables (categories up to 16 are legal here), and
    # restart intervals of whole MCU rows.
    cdef Frame* frame = &st.frame
    cdef Component* comp
    cdef int i, mcus_per_row, blocks
    where = f"lossless scan at byte {scan.at}"
    if not 1 <= scan.ss <= 7:
        raise JpegError(f"invalid JPEG: {where} selects predictor {scan.ss} (1..7 allowed)")
    if scan.se != 0 or scan.ah != 0:
        raise JpegError(f"invalid JPEG: {where} has Se={scan.se}, Ah={scan.ah} (both must be 0)")
    if scan.al >= frame.precision:
        raise JpegError(f"invalid JPEG: {where} has point transform {scan.al} for {frame.precision}-bit samples")
    if scan.ncomp > 1:
        blocks = 0
        for i in range(scan.ncomp):
            blocks += frame.comp[scan.comp_index[i]].h * frame.comp[scan.comp_index[i]].v
        if blocks > 10:
            raise JpegError(f"invalid JPEG: {where} has an interleaved MCU of {blocks} samples (T.81 allows 10)")
        mcus_per_row = frame.mcus_x
    else:
        mcus_per_row = frame.comp[scan.comp_index[0]].blocks_w
    if st.restart_interval and st.restart_interval % mcus_per_row:
        raise UnsupportedJpegError(f"lossless JPEG with a restart interval of {st.restart_interval} MCUs, not a "
                                   f"whole number of MCU rows ({mcus_per_row} MCUs), is not supported")
    for i in range(scan.ncomp):
        comp = &frame.comp[scan.comp_index[i]]
        # A lossless scan codes with the DC tables only; Td is a 4-bit field, Ta is not read.
        if comp.dc_table > 3:
            raise JpegError(f"invalid JPEG: {where} selects Huffman table {comp.dc_table} (0..3 allowed)")
        comp.ac_table = 0
        if not st.dc_tables[comp.dc_table].defined:
            if comp.dc_table == 0:
                huff_build(&st.dc_tables[0], STD_DC_LUMA_BITS, STD_DC_LUMA_VALS, True)
            elif comp.dc_table == 1:
                huff_build(&st.dc_tables[1], STD_DC_CHROMA_BITS, STD_DC_CHROMA_VALS, True)
            else:
                raise JpegError(f"invalid JPEG: component {comp.id} uses Huffman table {comp.dc_table}, which no "
                                "DHT defined")
        st.dc_tables[comp.dc_table].lenient = not st.strict
    return 0


cdef int decode_lossless_scan(DecoderState* st, Scan* scan, const uint8_t* data, size_t size,
                              size_t* pos_io) noexcept nogil:
    # H.2: MCUs in raster order; per component a small history of reconstructed values (the row above the
    # MCU row, then the MCU row's v rows) in 16-bit precision, written to the plane (shifted by Pt) after each
    # MCU row.
    cdef Frame* frame = &st.frame
    cdef Component* comp
    cdef Component* comps[MAX_COMPONENTS]
    cdef HuffTable* tables[MAX_COMPONENTS]
    cdef int32_t* history[MAX_COMPONENTS]
    cdef int rows[MAX_COMPONENTS]         # sample rows of the component in one MCU row
    cdef int cols[MAX_COMPONENTS]         # sample columns of the component in one MCU
    cdef int width[MAX_COMPONENTS]        # samples per row of the component in this scan
    cdef BitReader br
    cdef int i, x, bx, by, mx, my, mcus_w, mcus_h, result, diff, predicted, expected_rst = 0, lost = 0
    cdef int status = STATUS_OK
    cdef int ri = st.restart_interval, predictor = scan.ss, pt = scan.al
    cdef int initial = 1 << (frame.precision - scan.al - 1)
    cdef bint interval_start = 1
    cdef long long mcu = 0, total
    cdef int32_t* current
    cdef int32_t* above
    cdef uint8_t* dest

    for i in range(MAX_COMPONENTS):
        history[i] = NULL
    for i in range(scan.ncomp):
        comp = &frame.comp[scan.comp_index[i]]
        comps[i] = comp
        tables[i] = &st.dc_tables[comp.dc_table]
        comp.scanned = 1
        rows[i] = comp.v if scan.ncomp > 1 else 1
        cols[i] = comp.h if scan.ncomp > 1 else 1
        width[i] = comp.stride if scan.ncomp > 1 else comp.sample_w
        history[i] = <int32_t*>calloc(<size_t>(rows[i] + 1) * width[i], sizeof(int32_t))
        if history[i] == NULL:
            status = STATUS_NO_MEMORY
    if status != STATUS_OK:
        snprintf(st.message, MESSAGE_SIZE, "out of memory for a lossless scan")
        for i in range(scan.ncomp):
            free(history[i])
        return status
    if scan.ncomp > 1:
        mcus_w = frame.mcus_x
        mcus_h = frame.mcus_y
    else:
        mcus_w = comps[0].sample_w
        mcus_h = comps[0].sample_h
    total = <long long>mcus_w * mcus_h
    st.dead = 0
    br_init(&br, data, pos_io[0], size)
    for my in range(mcus_h):
        if ri and my > 0 and (mcu % ri) == 0 and not st.dead:
            # Restart intervals hold whole MCU rows (prepare_lossless_scan): the marker comes before a row.
            result = restart(st, &br, &expected_rst, &lost, mcu, total)
            if result != STATUS_OK:
                if must_raise(st, True):
                    status = result
                    break
                st.dead = 1
            interval_start = 1
        for mx in range(mcus_w):
            for i in range(scan.ncomp):
                for by in range(rows[i]):
                    current = history[i] + (by + 1) * width[i]
                    above = history[i] + by * width[i]
                    for bx in range(cols[i]):
                        x = mx * cols[i] + bx
                        diff = 0
                        if not st.dead and not lost:
                            result = lossless_diff(&br, tables[i], &diff)
                            if result < 0:
                                if result == LOSSLESS_BAD_CATEGORY:
                                    snprintf(st.message, MESSAGE_SIZE, "JPEG data is corrupt: lossless "
                                             "difference category above 16 near byte %llu (component %d, "
                                             "MCU %lld of %lld)", <unsigned long long>br_byte_position(&br),
                                             comps[i].id, mcu, total)
                                else:
                                    entropy_message(st, &br, result, comps[i].id, mcu, total)
                                if must_raise(st, False):
                                    status = STATUS_CORRUPT
                                    break
                                # As libjpeg: the rest of the restart interval is empty, decoding resumes
                                # at the next marker; without restarts, the rest of the scan.
                                if ri:
                                    lost = 1
                                else:
                                    st.dead = 1
                                diff = 0
                        # H.1.2.1: the first row of a scan or restart interval predicts from the left (its
                        # first sample from 2**(P - Pt - 1)); the first column of other rows from above.
                        if by == 0 and interval_start:
                            predicted = initial if x == 0 else current[x - 1]
                        elif x == 0:
                            predicted = above[x]
                        else:
                            predicted = lossless_predict(predictor, current[x - 1], above[x], above[x - 1])
                        current[x] = (predicted + diff) & 0xFFFF
                    if status != STATUS_OK:
                        break
                if status != STATUS_OK:
                    break
            if status != STATUS_OK:
                break
            if not st.dead and not lost and br_overrun(&br):
                truncation_message(st, &br, mcu, total)
                if must_raise(st, br.marker == 0):
                    status = STATUS_CORRUPT
                    break
                if ri:
                    lost = 1
                else:
                    st.dead = 1
            mcu += 1
        if status != STATUS_OK:
            break
        interval_start = 0
        # The finished MCU row into the planes (8-bit samples: the shifted value's low byte, as libjpeg-turbo
        # stores it), and its last row becomes the row above the next one.
        for i in range(scan.ncomp):
            comp = comps[i]
            for by in range(rows[i]):
                current = history[i] + (by + 1) * width[i]
                dest = plane_row(comp, my * rows[i] + by)
                for x in range(width[i]):
                    dest[x] = <uint8_t>(current[x] << pt)
            memcpy(history[i], history[i] + rows[i] * width[i], width[i] * sizeof(int32_t))
    for i in range(scan.ncomp):
        free(history[i])
    if status != STATUS_OK:
        return status
    if not br.stopped:
        br_find_marker(&br)
    pos_io[0] = br.marker_pos
    return STATUS_OK
