#!/usr/bin/env bash
# Runs the project's tests. Usage: scripts/test.sh [python] [go] [fuzz] [infra] [bench]   (default: all)
# fuzz runs every Go fuzz target for 3 s (scripts/fuzz.sh; longer runs: scripts/fuzz.sh 60).
# bench is the reduced benchmark run (scripts/bench.sh fast: the committed fixtures) so that
# the benchmark suite cannot rot; the full run is make bench.
# Starts moto_server (a LocalStack-compatible S3/DynamoDB/SQS endpoint) on 127.0.0.1 unless
# AWS_ENDPOINT_URL is already set, so the same tests run against LocalStack or AWS. moto_server
# comes from the test-tools venv (scripts/venv.sh tools, pinned in scripts/test-tools.lock).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
parts=("$@"); [ ${#parts[@]} -eq 0 ] && parts=(python go fuzz infra bench)

venv=$("$root/scripts/venv.sh")
export ONNXRUNTIME_LIB=${ONNXRUNTIME_LIB:-$("$root/scripts/onnxruntime.sh")}

needs_aws=0
for part in "${parts[@]}"; do case "$part" in python|go|bench) needs_aws=1 ;; esac; done
# shellcheck source=scripts/moto.sh
. "$root/scripts/moto.sh"
[ $needs_aws = 1 ] && start_moto

status=0
for part in "${parts[@]}"; do
  case "$part" in
    python)
      echo "== python tests"
      (cd training && PYTHONPATH="$root/training" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
        "$venv/bin/python" -m pytest -q -p no:cacheprovider tests) || status=1
      echo "== python tests of the benchmark code (bench/mlbench)"
      (cd bench && PYTHONPATH="$root/training:$root/bench" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
        "$venv/bin/python" -m pytest -q -p no:cacheprovider tests) || status=1 ;;
    go)
      echo "== go tests"
      if ! tidy=$(go mod tidy -diff 2>&1); then
        printf '%s\n' "$tidy" >&2
        echo "go.mod/go.sum are not tidy (diff above): run \`go mod tidy\` and commit the result" >&2
        status=1
      fi
      unformatted=$(gofmt -l functions shared cmd infra training)
      if [ -n "$unformatted" ]; then
        printf '%s\n' "$unformatted" >&2
        echo "these Go files are not gofmt-formatted: run \`gofmt -w\` on them and commit the result" >&2
        status=1
      fi
      go vet ./functions/... ./shared/... ./cmd/... ./training/... || status=1
      go test -race -count=1 ./functions/... ./shared/... ./cmd/... ./training/... || status=1 ;;
    fuzz)
      echo "== go fuzz targets, 3 s each"
      "$root/scripts/fuzz.sh" 3 || status=1 ;;
    infra)
      echo "== infra tests"
      "$root/scripts/cdk.sh" test || status=1 ;;
    bench)
      echo "== benchmark suite, fast mode"
      "$root/scripts/bench.sh" fast || status=1 ;;
    *) echo "unknown part: $part (want python, go, fuzz, infra or bench)" >&2; exit 2 ;;
  esac
done
exit $status
