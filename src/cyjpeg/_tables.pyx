# Python access to the constant tables of _tables.h (one copy of the data, typed in once).

ZIGZAG = tuple(ZIGZAG_TO_NATURAL[k] for k in range(64))
STD_LUMA_QUANT_TABLE = tuple(STD_LUMA_QUANT[i] for i in range(64))
STD_CHROMA_QUANT_TABLE = tuple(STD_CHROMA_QUANT[i] for i in range(64))
