#!/bin/sh
# About one minute of fuzzing decode()/info() for CI. Needs atheris (pip install .[fuzz]) and cyjpeg importable.
# Usage: sh tests/fuzz/run_short.sh [seconds]   (exit status non-zero on a finding; the input is in $WORK)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SECONDS_TO_RUN=${1:-60}
WORK=$(mktemp -d)
mkdir -p "$WORK/seeds" "$WORK/new"
python3 "$HERE/fuzz_decode.py" --make-seeds "$WORK/seeds"

python3 "$HERE/fuzz_decode.py" "$WORK/new" "$WORK/seeds" -max_total_time="$SECONDS_TO_RUN" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$WORK/"
