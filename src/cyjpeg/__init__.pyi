# Type stubs for cyjpeg's public API (PEP 561: shipped in the wheel beside py.typed).
# The implementation is src/cyjpeg/_api.py over the compiled codec modules; keep these signatures in step with
# it when keyword options are added there.
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from PIL.Image import Image as _PILImage
from typing_extensions import Buffer, TypeAlias

# The pure-Python parts carry their own annotations: re-exported as they are.
from .dedup import find_duplicates as find_duplicates
from .errors import JpegError as JpegError
from .errors import JpegWarning as JpegWarning
from .errors import UnsupportedJpegError as UnsupportedJpegError
from .phash import phash as phash
from .store import compress_tree as compress_tree

__version__: str
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

# What encode() takes: a uint8 array (H, W), (H, W, 1) or (H, W, 3) of any strides, or a PIL image.
# Other dtypes and shapes are rejected at run time with ValueError.
_ImageInput: TypeAlias = npt.NDArray[np.uint8] | _PILImage
# One 64-entry table, or two (luma, chroma) as a sequence or as Pillow's {0: table, 1: table}; natural order.
_QTables: TypeAlias = npt.ArrayLike | Sequence[npt.ArrayLike] | Mapping[int, npt.ArrayLike]
_Subsampling: TypeAlias = Literal["4:4:4", "4:2:2", "4:2:0", "4:4:0"]

@dataclass(frozen=True)
class JpegInfo:
    width: int
    height: int
    components: int
    mode: str
    subsampling: str
    sampling_factors: tuple[tuple[int, int], ...]
    progressive: bool
    restart_interval: int
    precision: int = 8
    sof: int = 0xC0
    arithmetic: bool = False
    lossless: bool = False
    jfif_version: tuple[int, int] | None = None
    density: tuple[int, int, int] | None = None
    adobe_transform: int | None = None
    icc_profile: bytes | None = None
    exif: bytes | None = None
    orientation: int = 1
    comment: bytes | None = None
    xmp: bytes | None = None
    extra: dict[str, Any] = ...

def encode(
    image: _ImageInput,
    quality: int = 75,
    subsampling: _Subsampling = "4:2:0",
    optimize: bool = False,
    restart_interval: int = 0,
    qtables: _QTables | None = None,
    *,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    comment: bytes | str | None = None,
    threads: int = 1,
    progressive: bool = False,
    trellis: bool = False,
    adaptive: bool = False,
    preset: Literal["fast", "web", "max"] | None = None,
    scans: Sequence[tuple[Sequence[int], int, int, int, int]] | Literal["search"] | None = None,
    target_ssim: float | None = None,
    target_psnr: float | None = None,
) -> bytes: ...
def decode(
    data: Buffer,
    mode: Literal["RGB", "L"] | None = None,
    scale: Literal[1, 2, 4, 8] = 1,
    orientation: bool = False,
    max_pixels: int | None = 178956970,
    strict: bool | None = None,
    *,
    threads: int | None = 1,
) -> npt.NDArray[np.uint8]: ...
def info(data: Buffer) -> JpegInfo: ...
def quality_tables(quality: int) -> npt.NDArray[np.uint16]: ...
