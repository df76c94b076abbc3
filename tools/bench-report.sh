#!/usr/bin/env bash
# Joins the per-part benchmark reports ($1/*.md, written by `make bench`) into one page ($2).
set -euo pipefail
dir=$1 out=$2
{
    echo "# Parley benchmarks"
    echo
    echo "Written by \`make bench\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(uname -m))."
    echo "Method: ../shared/BENCH-METHOD.md — ratios against a baseline run in the same script,"
    echo "interleaved, median (min-max) over repetitions."
    for f in "$dir"/*.md; do
        [ -e "$f" ] || continue
        echo
        cat "$f"
    done
} > "$out"
echo "bench: wrote $out"
