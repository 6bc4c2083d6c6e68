#!/usr/bin/env bash
# Runs the project's tests. Usage: scripts/test.sh [python] [go] [infra]   (default: all three)
# Starts moto_server (a LocalStack-compatible S3/DynamoDB/SQS endpoint) on 127.0.0.1 unless
# AWS_ENDPOINT_URL is already set, so the same tests run against LocalStack or AWS. moto_server
# comes from the test-tools venv (scripts/venv.sh tools, pinned in scripts/test-tools.lock).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
parts=("$@"); [ ${#parts[@]} -eq 0 ] && parts=(python go infra)

venv=$("$root/scripts/venv.sh")
export ONNXRUNTIME_LIB=${ONNXRUNTIME_LIB:-$("$root/scripts/onnxruntime.sh")}

how_moto="scripts/venv.sh tools installs it from scripts/test-tools.lock (needs PyPI once); or set AWS_ENDPOINT_URL to a running LocalStack-compatible endpoint"
needs_aws=0
for part in "${parts[@]}"; do case "$part" in python|go) needs_aws=1 ;; esac; done
if [ -z "${AWS_ENDPOINT_URL:-}" ] && [ $needs_aws = 1 ]; then
  tools=$("$root/scripts/venv.sh" tools) || { echo "test.sh: cannot install moto_server: $how_moto" >&2; exit 1; }
  moto="$tools/bin/moto_server"
  [ -x "$moto" ] || { echo "test.sh: $moto is missing: $how_moto" >&2; exit 1; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  log=$(mktemp)
  "$moto" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  moto_pid=$!
  trap 'kill $moto_pid 2>/dev/null || true; rm -f "$log"' EXIT
  up=0
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && { up=1; break; }
    kill -0 $moto_pid 2>/dev/null || break
    sleep 0.1
  done
  if [ $up = 0 ]; then
    cat "$log" >&2
    echo "test.sh: moto_server ($moto) did not answer on 127.0.0.1:$port (log above): $how_moto" >&2
    exit 1
  fi
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  echo "moto_server on $AWS_ENDPOINT_URL"
fi

status=0
for part in "${parts[@]}"; do
  case "$part" in
    python)
      echo "== python tests"
      (cd training && PYTHONPATH="$root/training" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
        "$venv/bin/python" -m pytest -q -p no:cacheprovider tests) || status=1 ;;
    go)
      echo "== go tests"
      if ! tidy=$(go mod tidy -diff 2>&1); then
        printf '%s\n' "$tidy" >&2
        echo "go.mod/go.sum are not tidy (diff above): run \`go mod tidy\` and commit the result" >&2
        status=1
      fi
      go vet ./functions/... ./shared/... ./cmd/... ./training/... || status=1
      go test -race -count=1 ./functions/... ./shared/... ./cmd/... ./training/... || status=1 ;;
    infra)
      echo "== infra tests"
      "$root/scripts/cdk.sh" test || status=1 ;;
    *) echo "unknown part: $part (want python, go or infra)" >&2; exit 2 ;;
  esac
done
exit $status
