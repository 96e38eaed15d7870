"""Build the Cython extensions: one extension module per .pyx file in src/cyjpeg.

The kernels live in .pxd files and are inlined into the modules that run the MCU loops, so the module
list is simply every .pyx there is. Metadata lives in pyproject.toml; this file only describes the C build.
"""
import os
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

PACKAGE_DIR = Path("src") / "cyjpeg"

# Flags by compiler family, not by OS: a Windows build can use MinGW (gcc), and clang-cl reports "msvc".
#
# gcc and clang (Linux, macOS, MinGW): CPython builds extensions with -fwrapv, which stops gcc vectorising
# the colour and DCT loops (about a third of the speed, see shared/PERFORMANCE.md); our kernels are written
# so that signed overflow cannot happen, so turn it back off. These flags come after CPython's own CFLAGS,
# so -O3 wins over its -O2. Apple clang takes the same flags; an arm64 or x86_64 macOS wheel needs nothing
# more (cibuildwheel sets ARCHFLAGS and MACOSX_DEPLOYMENT_TARGET), and NEON is baseline on arm64.
#
# MSVC (and clang-cl): /O2 is already CPython's release setting; repeated here so the intent is explicit.
# MSVC has no -fwrapv equivalent to undo, and /arch is left at the default (SSE2 on x64, baseline on ARM64).
#
# Never CPU-specific flags (-march=native, -mavx2, /arch:AVX2): a wheel must run on any CPU of its platform.
COMPILE_ARGS = {
    "msvc": ["/O2"],
    "unix": ["-O3", "-fno-wrapv"],
    "mingw32": ["-O3", "-fno-wrapv"],
    "cygwin": ["-O3", "-fno-wrapv"],
}


class BuildExtWithFlags(build_ext):
    """Pick compile flags once the compiler is known, and compile the modules in parallel."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:  # `-j` on the command line still wins
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        extra = COMPILE_ARGS.get(self.compiler.compiler_type, [])
        for ext in self.extensions:
            ext.extra_compile_args = extra + list(ext.extra_compile_args or [])
        super().build_extensions()


extensions = [
    Extension(
        f"cyjpeg.{pyx.stem}",
        [str(pyx)],
        include_dirs=[str(PACKAGE_DIR)],
    )
    for pyx in sorted(PACKAGE_DIR.glob("*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={"language_level": 3, "embedsignature": True},
    ),
    cmdclass={"build_ext": BuildExtWithFlags},
)
