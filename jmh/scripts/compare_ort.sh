#!/usr/bin/env bash
# Our image encoder against ONNX Runtime, alternating short JMH runs so that both see the same machine.
#
# On a shared VM the speed of the cores drifts by 10-30 % over minutes; one JMH invocation runs its benchmarks one
# after the other, so a drift between them reads as a difference between engines. Here each round runs, per size,
# this engine (and optionally a baseline build) and ONNX Runtime back to back, and the summary gives per-round ratios.
#
#   jmh/scripts/compare_ort.sh [ROUNDS] [BASELINE_BENCHMARKS_JAR]
#
# Needs jmh/target/benchmarks.jar built with -Ponnx and the ONNX files of jmh/scripts/export_vit_onnx.py in
# $ONNX_DIR (default /tmp/onnx). Prints one CSV line per run (round, size, engine, ms per encoder) and the ratios.
set -euo pipefail
rounds=${1:-3}
baseline=${2:-}
onnx_dir=${ONNX_DIR:-/tmp/onnx}
sizes=${SIZES:-"224 336"}
jar=jmh/target/benchmarks.jar
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
[ -f "$jar" ] || { echo "error: $jar not found: mvn -B -ntp -q -Ponnx package -DskipTests" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# ms per call of one benchmark: JMH reports ops/s in throughput mode
run() { # label jar regex size [extra params]
    local label=$1 j=$2 regex=$3 size=$4; shift 4
    "$java" -jar "$j" "$regex" -p size="$size" "$@" -f 1 -wi 2 -i 4 -w 2 -r 2 -rf csv -rff "$out/r.csv" >/dev/null 2>&1 \
        || { echo "error: $label at $size failed (run it by hand to see why)" >&2; exit 1; }
    awk -F, -v l="$label" -v s="$size" -v r="$round" \
        'NR > 1 && $1 !~ /gflops/ { gsub(/"/, "", $5); printf "%s,%s,%s,%.1f\n", r, s, l, 1000 / $5 }' "$out/r.csv"
}

peak() { # GFLOP/s of the FMA loop on every core, for reading the figures against
    "$java" -jar "$jar" 'FmaPeakBenchmark.allCores' -f 1 -wi 1 -i 2 -w 1 -r 2 -rf csv -rff "$out/p.csv" >/dev/null 2>&1 \
        && awk -F, '$1 ~ /gflops/ { gsub(/"/, "", $5); printf "FMA peak, all cores: %.0f GFLOP/s\n", $5 }' "$out/p.csv"
}

peak
echo "round,size,engine,ms"
for round in $(seq 1 "$rounds"); do
    for size in $sizes; do
        run engine "$jar" 'EncoderBenchmark.imageEncoder$' "$size" -p dtype=F32
        [ -n "$baseline" ] && run baseline "$baseline" 'EncoderBenchmark.imageEncoder$' "$size" -p dtype=F32
        run onnxruntime "$jar" 'OnnxRuntimeBenchmark.imageEncoder$' "$size" -p onnxDir="$onnx_dir"
    done
done | tee "$out/all.csv"
peak

echo
echo "per round, ONNX Runtime time / engine time (above 1: this engine is faster)"
awk -F, '{ t[$1 "," $2 "," $3] = $4; k[$1 "," $2] = 1 }
    END { for (x in k) if (t[x ",engine"] && t[x ",onnxruntime"])
              printf "round %s  %.2f%s\n", x, t[x ",onnxruntime"] / t[x ",engine"],
                     t[x ",baseline"] ? sprintf("   (baseline / engine %.2f)", t[x ",baseline"] / t[x ",engine"]) : "" }' \
    "$out/all.csv" | sort
