#!/usr/bin/env bash
# Runs the benchmarks and prints where their numbers go.
#
#   scripts/bench.sh              go, python and coldstart below (the CPU benchmarks)
#   scripts/bench.sh go [REGEX]   Go testing.B over ./shared/... (REGEX selects, default all;
#                                 BENCHTIME default 2s, BENCHCOUNT default 1)
#   scripts/bench.sh python       every training/bench/*.py except gpu_*.py, run from the repo
#                                 root with the training venv and no arguments
#   scripts/bench.sh gpu          training/bench/gpu_*.py (on a CUDA machine; they skip or
#                                 fail clearly without one)
#   scripts/bench.sh coldstart    process start -> first answer and peak RSS, checkpoints
#                                 in moto S3 (scripts/bench_coldstart.py; RUNS, default 5)
#
# Long training benchmarks (python -m mlbundle_training.bench.classifier ...) are run by
# hand; their commands are in docs/benchmarks.md.
# Environment handed to every benchmark:
#   MLBUNDLE_DATA     real benchmark data (default ../shared/data); benches skip without it
#   BENCH_OUT         where raw outputs go (default .local/bench)
#   ONNXRUNTIME_LIB   the ONNX Runtime library (scripts/onnxruntime.sh)
# Results are recorded by hand, with machine and date, in docs/benchmarks.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

parts=("${1:-all}")
[ "${parts[0]}" = all ] && parts=(go python coldstart)
regex=${2:-.}

export MLBUNDLE_DATA=${MLBUNDLE_DATA:-$(cd "$root/.." && pwd)/shared/data}
export BENCH_OUT=${BENCH_OUT:-$root/.local/bench}
export ONNXRUNTIME_LIB=${ONNXRUNTIME_LIB:-$("$root/scripts/onnxruntime.sh")}
mkdir -p "$BENCH_OUT"
[ -d "$MLBUNDLE_DATA" ] || echo "note: $MLBUNDLE_DATA is absent: benchmarks on real data will skip" >&2
stamp=$(date -u +%Y%m%dT%H%M%SZ)

for part in "${parts[@]}"; do
  case "$part" in
    go)
      out="$BENCH_OUT/go-$stamp.txt"
      echo "== go benchmarks (-benchtime ${BENCHTIME:-2s}) -> $out"
      go test -run '^$' -bench "$regex" -benchmem -benchtime "${BENCHTIME:-2s}" \
        -count "${BENCHCOUNT:-1}" ./shared/... 2>&1 | tee "$out" ;;
    python|gpu)
      venv=$("$root/scripts/venv.sh")
      shopt -s nullglob
      benches=()
      for b in training/bench/*.py; do
        case "$(basename "$b")" in
          gpu_*) [ "$part" = gpu ] && benches+=("$b") ;;
          *) [ "$part" = python ] && benches+=("$b") ;;
        esac
      done
      [ ${#benches[@]} -eq 0 ] && echo "== no $part benchmarks in training/bench/"
      for b in "${benches[@]}"; do
        name=$(basename "$b" .py)
        out="$BENCH_OUT/$name-$stamp.txt"
        echo "== $part $b -> $out"
        PYTHONPATH="$root/training" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
          "$venv/bin/python" "$b" 2>&1 | tee "$out"
      done ;;
    coldstart)
      venv=$("$root/scripts/venv.sh")
      out="$BENCH_OUT/coldstart-$stamp.txt"
      echo "== cold start -> $out"
      MOTO_SERVER=$("$root/scripts/venv.sh" tools)/bin/moto_server \
        PYTHONPATH="$root/training" "$venv/bin/python" scripts/bench_coldstart.py --runs "${RUNS:-5}" 2>&1 | tee "$out" ;;
    *) echo "unknown part: $part (want go, python, gpu or coldstart)" >&2; exit 2 ;;
  esac
done
echo
echo "raw outputs: $BENCH_OUT"
echo "record the numbers (machine, date, ratio against the peer run) in docs/benchmarks.md"
