# Fixed-point constants of the accurate integer ("islow") 8-point DCT factorisation (Loeffler, Ligtenberg and
# Moschytz), shared by the forward (_fdct) and inverse (_idct) transforms: round(c * 2**13) for each rotation.

cdef enum:
    CONST_BITS = 13            # fixed-point fraction bits of the multipliers
    PASS1_BITS = 2             # extra precision kept between the row pass and the column pass
    FIX_0_298631336 = 2446     # 0.298631336 * 2**13
    FIX_0_390180644 = 3196     # 0.390180644 * 2**13
    FIX_0_541196100 = 4433     # 0.541196100 * 2**13
    FIX_0_765366865 = 6270     # 0.765366865 * 2**13
    FIX_0_899976223 = 7373     # 0.899976223 * 2**13
    FIX_1_175875602 = 9633     # 1.175875602 * 2**13
    FIX_1_501321110 = 12299    # 1.501321110 * 2**13
    FIX_1_847759065 = 15137    # 1.847759065 * 2**13
    FIX_1_961570560 = 16069    # 1.961570560 * 2**13
    FIX_2_053119869 = 16819    # 2.053119869 * 2**13
    FIX_2_562915447 = 20995    # 2.562915447 * 2**13
    FIX_3_072711026 = 25172    # 3.072711026 * 2**13
