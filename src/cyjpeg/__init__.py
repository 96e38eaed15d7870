"""cyjpeg: a JPEG encoder and decoder written from scratch in Cython.

    >>> import cyjpeg
    >>> data = cyjpeg.encode(pixels, quality=80)      # uint8 (H, W) or (H, W, 3) -> JFIF bytes
    >>> pixels = cyjpeg.decode(data)                   # bytes -> uint8 array
    >>> cyjpeg.info(data).subsampling                  # headers only
    '4:2:0'
"""
from ._version import __version__
from .errors import JpegError, JpegWarning, UnsupportedJpegError
from ._api import JpegInfo, decode, encode, info, quality_tables
from .dedup import find_duplicates
from .phash import phash
from .store import compress_tree

__all__ = [
    "JpegError",
    "JpegInfo",
    "JpegWarning",
    "UnsupportedJpegError",
    "__version__",
    "compress_tree",
    "decode",
    "encode",
    "find_duplicates",
    "info",
    "phash",
    "quality_tables",
]
