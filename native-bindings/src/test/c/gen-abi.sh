#!/usr/bin/env bash
# Regenerates src/test/resources/dev/clipengine/cuda/cuda-abi.txt from a CUDA toolkit's headers (gcc + headers only;
# no GPU, driver or CUDA library is needed). Usage: gen-abi.sh [CUDA_HOME], default /usr/local/cuda.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cuda="${1:-${CUDA_HOME:-/usr/local/cuda}}"
out="$here/../resources/dev/clipengine/cuda/cuda-abi.txt"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
gcc -std=c11 -Wall -I"$cuda/include" "$here/cuda_abi.c" -o "$tmp/cuda_abi"
"$tmp/cuda_abi" > "$out"
echo "wrote $out ($(wc -l < "$out") lines, from $cuda)"
