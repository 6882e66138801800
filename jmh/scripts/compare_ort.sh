#!/usr/bin/env bash
# Our image encoder (and segment) against a baseline build and ONNX Runtime, alternating short JMH runs so that all
# see the same machine.
#
# On a shared VM the speed of the cores drifts by 10-30 % over minutes; one JMH invocation runs its benchmarks one
# after the other, so a drift between them reads as a difference between engines. Here each round runs, per size,
# this engine, optionally a baseline build, and ONNX Runtime back to back, then `segment` (text cached) of this engine
# and the baseline, and the summary gives per-round ratios and their medians.
#
#   jmh/scripts/compare_ort.sh [ROUNDS] [BASELINE_BENCHMARKS_JAR]
#
# Environment:
#   SIZES="224 336"       encoder sizes
#   SEGMENT_SIZES="336"   SegmentBenchmark.segment sizes (engine and baseline only; "" to skip)
#   ORT=auto|0|1          ONNX Runtime runs: auto = when the jar has OnnxRuntimeBenchmark (built with -Ponnx) and
#                         $ONNX_DIR exists (the ONNX files of jmh/scripts/export_vit_onnx.py, default /tmp/onnx)
#   MODE=sample|thrpt    sample (default): JMH sample mode, each run's figure is the median time of its calls, which
#                         a burst of interference on this shared machine moves less than the mean; thrpt: the mean
# Prints one CSV line per run (round, size, benchmark, engine, ms per call) and the ratios.
set -euo pipefail
rounds=${1:-3}
baseline=${2:-}
onnx_dir=${ONNX_DIR:-/tmp/onnx}
sizes=${SIZES:-"224 336"}
segment_sizes=${SEGMENT_SIZES-"336"}
jar=jmh/target/benchmarks.jar
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
[ -f "$jar" ] || { echo "error: $jar not found: mvn -B -ntp -q package -DskipTests (-Ponnx for ONNX Runtime)" >&2; exit 2; }
[ -z "$baseline" ] || [ -f "$baseline" ] || { echo "error: baseline jar $baseline not found" >&2; exit 2; }
ort=${ORT:-auto}
if [ "$ort" = auto ]; then
    ort=0
    # not `unzip | grep -q`: grep's early exit kills unzip with SIGPIPE, which pipefail reads as "not found"
    if [ -d "$onnx_dir" ] && unzip -l "$jar" 2>/dev/null | grep -c 'OnnxRuntimeBenchmark' >/dev/null; then ort=1; fi
fi
[ "$ort" = 1 ] || echo "(no ONNX Runtime runs: ORT=$ort; build with -Ponnx and export the models to $onnx_dir for them)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

mode=${MODE:-sample}
case "$mode" in sample|thrpt) ;; *) echo "error: MODE must be sample or thrpt, not $mode" >&2; exit 2 ;; esac

# ms per call of one benchmark: the median of its calls (sample mode), or 1000 / ops per second (throughput mode)
run() { # label jar regex size benchmark [extra params]
    local label=$1 j=$2 regex=$3 size=$4 bench=$5; shift 5
    "$java" -jar "$j" "$regex" -p size="$size" "$@" -f 1 -wi 2 -i 4 -w 2 -r 2 -bm "$mode" -tu ms \
        -rf csv -rff "$out/r.csv" >/dev/null 2>&1 \
        || { echo "error: $label $bench at $size failed (run it by hand to see why)" >&2; exit 1; }
    awk -F, -v l="$label" -v s="$size" -v r="$round" -v b="$bench" -v m="$mode" \
        'NR > 1 && $1 !~ /gflops/ && (m == "thrpt" || $1 ~ /p0\.50/) {
             gsub(/"/, "", $5); gsub(/"/, "", $7)
             printf "%s,%s,%s,%s,%.1f\n", r, s, b, l, ($7 ~ /ops/ ? 1 / $5 : $5) }' "$out/r.csv"
}

peak() { # GFLOP/s of the FMA loop on every core, for reading the figures against
    "$java" -jar "$jar" 'FmaPeakBenchmark.allCores' -f 1 -wi 1 -i 2 -w 1 -r 2 -rf csv -rff "$out/p.csv" >/dev/null 2>&1 \
        && awk -F, '$1 ~ /gflops/ { gsub(/"/, "", $5); printf "FMA peak, all cores: %.0f GFLOP/s\n", $5 }' "$out/p.csv"
}

peak
echo "round,size,benchmark,engine,ms"
for round in $(seq 1 "$rounds"); do
    for size in $sizes; do
        run engine "$jar" 'EncoderBenchmark.imageEncoder$' "$size" encoder -p dtype=F32
        [ -n "$baseline" ] && run baseline "$baseline" 'EncoderBenchmark.imageEncoder$' "$size" encoder -p dtype=F32
        [ "$ort" = 1 ] && run onnxruntime "$jar" 'OnnxRuntimeBenchmark.imageEncoder$' "$size" encoder -p onnxDir="$onnx_dir"
    done
    for size in $segment_sizes; do
        run engine "$jar" 'SegmentBenchmark.segment$' "$size" segment -p dtype=F32
        [ -n "$baseline" ] && run baseline "$baseline" 'SegmentBenchmark.segment$' "$size" segment -p dtype=F32
    done
    true
done | tee "$out/all.csv"
peak

echo
echo "per round: ONNX Runtime time / engine time, baseline time / engine time (above 1: this engine is faster)"
awk -F, '{ t[$1 "," $2 "," $3 "," $4] = $5; k[$1 "," $2 "," $3] = 1 }
    END { for (x in k) {
              line = ""
              if (t[x ",onnxruntime"]) line = line sprintf("   ONNX Runtime / engine %.2f", t[x ",onnxruntime"] / t[x ",engine"])
              if (t[x ",baseline"]) line = line sprintf("   baseline / engine %.2f", t[x ",baseline"] / t[x ",engine"])
              split(x, p, ",")
              if (line != "") printf "%s @%s round %s:%s\n", p[3], p[2], p[1], line
          } }' "$out/all.csv" | sort -k1,1 -k2,2 -k4,4n
echo
echo "medians over the rounds of ONNX Runtime time / engine time and baseline time / engine time, and the lowest round"
awk -F, '{ t[$1 "," $2 "," $3 "," $4] = $5; k[$2 "," $3] = 1; r[$1] = 1 }
    END { split("onnxruntime baseline", peers, " ")
          for (x in k) for (q = 1; q <= 2; q++) {
              peer = peers[q]; n = 0
              for (round in r) {
                  split(x, p, ",")
                  key = round "," p[1] "," p[2]
                  if (t[key "," peer] && t[key ",engine"]) v[++n] = t[key "," peer] / t[key ",engine"]
              }
              if (n == 0) continue
              for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { s = v[i]; v[i] = v[j]; v[j] = s }
              med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
              split(x, p, ",")
              printf "%s @%s, %s / engine: median %.3f, lowest %.3f over %d rounds\n", p[2], p[1], peer, med, v[1], n
              delete v
          } }' "$out/all.csv" | sort
