#!/usr/bin/env bash
# Prove the package as users get it: build the sdist and the wheel with `python -m build`, install the wheel
# into a fresh virtual environment and run the test suite from outside the source tree, then do the same with
# the sdist (built from source by pip in an isolated environment that has only the declared build
# requirements). Exits non-zero on any failure. Needs only a Python with venv and a C compiler: build, pytest
# and Pillow come from PyPI.
#
#   bash .ci/wheel-check.sh                 # from anywhere; the repository is this script's parent folder
#
# Environment:
#   PYTHON                        interpreter to build and test with (default: python3)
#   WHEEL_CHECK_SDIST_PYTEST_ARGS pytest selection for the sdist pass (default: -k "not kodak and not corpus").
#                                 The sdist compiles the same .pyx with the same compiler as the wheel, so its
#                                 pass is mainly a proof that the sdist is complete and builds; the slow tests
#                                 over the shared corpus (Kodak photos, conformance JPEGs) run once, in the
#                                 wheel pass, to keep within the CI time budget.
#   WHEEL_CHECK_WHEEL_PYTEST_ARGS pytest selection for the wheel pass (default: none, the whole suite)
#   WHEEL_CHECK_KEEP=1            keep the temporary folder (printed at the start) for inspection
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
DEFAULT_SDIST_PYTEST_ARGS='-k "not kodak and not corpus"'
SDIST_PYTEST_ARGS=${WHEEL_CHECK_SDIST_PYTEST_ARGS:-$DEFAULT_SDIST_PYTEST_ARGS}
WHEEL_PYTEST_ARGS=${WHEEL_CHECK_WHEEL_PYTEST_ARGS:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cyjpeg-wheel-check.XXXXXX")
if [[ "${WHEEL_CHECK_KEEP:-0}" != 1 ]]; then
    trap 'rm -rf "$WORK"' EXIT
fi
START=$SECONDS

step() { printf '\n== wheel-check [%ss]: %s\n' "$((SECONDS - START))" "$*"; }
show() { printf '+'; printf ' %q' "$@"; printf '\n'; }
run() { show "$@"; "$@"; }

new_venv() {  # new_venv DIR: a fresh virtual environment with a current pip
    run "$PYTHON" -m venv "$1"
    run "$1/bin/python" -m pip install -q --disable-pip-version-check -U pip
}

# Run the test suite against the installed package, from a folder outside the source tree. cyjpeg is imported
# before pytest starts, from that folder, so it is the venv's copy; whatever the test configuration later puts
# on sys.path cannot swap in the source tree, and the check after the run proves which copy was tested.
run_tests() {  # run_tests VENV [pytest args...]
    local venv=$1; shift
    local rundir="$WORK/run-$(basename "$venv")"
    mkdir -p "$rundir"
    (
        cd "$rundir"
        printf '+ cd %q\n' "$rundir"
        # run_tests.py: pytest.main([TESTS, "-q", "-p", "no:cacheprovider", ARGS...]) plus the checks above
        run "$venv/bin/python" "$WORK/run_tests.py" "$venv" "$REPO/tests" "$@"
    )
}

# The runner is a file, not a here-document on stdin: worker processes started with multiprocessing's
# "spawn" (dask's nanny in the store tests) re-import the main module by its path, and <stdin> has none.
cat > "$WORK/run_tests.py" <<'PY'
import os
import sys


def main():
    venv, tests, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
    import cyjpeg  # the installed copy: the current folder is outside the source tree
    import pytest

    where = os.path.realpath(cyjpeg.__file__)
    print(f"cyjpeg {cyjpeg.__version__} from {where}")
    if not where.startswith(os.path.realpath(venv) + os.sep):
        sys.exit(f"wheel-check: cyjpeg was imported from {where}, not from the virtual environment {venv}")
    status = pytest.main([tests, "-q", "-p", "no:cacheprovider", *extra])
    tested = os.path.realpath(sys.modules["cyjpeg"].__file__)
    if tested != where:
        sys.exit(f"wheel-check: the tests used cyjpeg from {tested}, not the installed {where}")
    sys.exit(int(status))


if __name__ == "__main__":
    main()
PY

step "build sdist and wheel (repository: $REPO, temporary folder: $WORK)"
run "$PYTHON" --version
new_venv "$WORK/venv-build"
run "$WORK/venv-build/bin/python" -m pip install -q --disable-pip-version-check build
run "$WORK/venv-build/bin/python" -m build --outdir "$WORK/dist" "$REPO" > "$WORK/build.log" 2>&1 \
    || { tail -n 60 "$WORK/build.log"; echo "wheel-check: python -m build failed (log above)"; exit 1; }
tail -n 1 "$WORK/build.log"
SDIST=$(ls "$WORK"/dist/cyjpeg-*.tar.gz)
WHEEL=$(ls "$WORK"/dist/cyjpeg-*.whl)

step "check what the wheel and the sdist hold"
"$WORK/venv-build/bin/python" - "$WHEEL" "$SDIST" <<'PY'
import sys, tarfile, zipfile
wheel, sdist = sys.argv[1], sys.argv[2]
wheel_names = zipfile.ZipFile(wheel).namelist()
sdist_names = [name.split("/", 1)[1] for name in tarfile.open(sdist).getnames() if "/" in name]
print(f"{wheel.rsplit('/', 1)[-1]}: {len(wheel_names)} files; {sdist.rsplit('/', 1)[-1]}: {len(sdist_names)} files")
problems = []
sources = [n for n in wheel_names if n.endswith((".pyx", ".pxd", ".c", ".h", ".cpp"))]
tests = [n for n in wheel_names if n.startswith("tests/") or "/tests/" in n]
problems += [f"wheel holds source file {n}" for n in sources] + [f"wheel holds test file {n}" for n in tests]
for needed in ("cyjpeg/py.typed", "cyjpeg/__init__.pyi", "cyjpeg/_version.py"):
    if needed not in wheel_names:
        problems.append(f"wheel lacks {needed}")
if not any(n.startswith("cyjpeg/_") and n.endswith((".so", ".pyd")) for n in wheel_names):
    problems.append("wheel holds no compiled extension")
for needed in ("setup.py", "pyproject.toml", "LICENSE", "src/cyjpeg/_tables.h", "src/cyjpeg/_tables.pyx"):
    if needed not in sdist_names:
        problems.append(f"sdist lacks {needed}")
generated = [n for n in sdist_names if n.endswith(".c") and not n.endswith("_kernels.c")]
problems += [f"sdist holds generated C {n}" for n in generated]
problems += [f"sdist holds binary {n}" for n in sdist_names if n.endswith((".so", ".pyd", ".o"))]
for problem in problems:
    print("wheel-check:", problem)
sys.exit(1 if problems else 0)
PY

step "install the wheel into a fresh venv and run the test suite against it${WHEEL_PYTEST_ARGS:+: pytest $WHEEL_PYTEST_ARGS}"
new_venv "$WORK/venv-wheel"
run "$WORK/venv-wheel/bin/python" -m pip install -q --disable-pip-version-check "$WHEEL[test]"
run "$WORK/venv-wheel/bin/cyjpeg" --help > /dev/null
eval "wheel_args=($WHEEL_PYTEST_ARGS)"
run_tests "$WORK/venv-wheel" ${wheel_args[@]+"${wheel_args[@]}"}

step "install the sdist (pip compiles it from source) into a fresh venv and run: pytest $SDIST_PYTEST_ARGS"
new_venv "$WORK/venv-sdist"
run "$WORK/venv-sdist/bin/python" -m pip install -q --disable-pip-version-check "$SDIST[test]"
eval "sdist_args=($SDIST_PYTEST_ARGS)"
run_tests "$WORK/venv-sdist" "${sdist_args[@]}"

step "done: the wheel and the sdist both install and pass their tests"
