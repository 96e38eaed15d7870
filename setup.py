"""Build the Cython extensions: one extension module per .pyx file in src/cyjpeg.

The kernels live in .pxd files and are inlined into the modules that run the MCU loops, so the module
list is simply every .pyx there is.
"""
import sys
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

PACKAGE_DIR = Path("src") / "cyjpeg"


def compile_args():
    if sys.platform == "win32":
        return ["/O2"]
    # CPython builds extensions with -fwrapv, which stops gcc vectorising the colour and DCT loops
    # (about a third of the speed, see PERFORMANCE notes); our kernels are written so that signed
    # overflow cannot happen, so turn it back off. No -march flags: wheels must run on any CPU.
    return ["-O3", "-fno-wrapv"]


extensions = [
    Extension(
        f"cyjpeg.{pyx.stem}",
        [str(pyx)],
        include_dirs=[str(PACKAGE_DIR)],
        extra_compile_args=compile_args(),
    )
    for pyx in sorted(PACKAGE_DIR.glob("*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3, "embedsignature": True},
    ),
)
