# Sourced by scripts/test.sh and scripts/bench.sh. start_moto starts moto_server (a
# LocalStack-compatible S3/DynamoDB/SQS endpoint) from the test-tools venv (scripts/venv.sh
# tools, pinned in scripts/test-tools.lock) on a free 127.0.0.1 port unless AWS_ENDPOINT_URL
# is already set, exports the endpoint and test credentials, and stops it when the calling
# script exits. It fails the caller, saying how to get moto_server, when that cannot be done.
start_moto() {
  [ -n "${AWS_ENDPOINT_URL:-}" ] && return 0
  local how_moto="scripts/venv.sh tools installs it from scripts/test-tools.lock (needs PyPI once); or set AWS_ENDPOINT_URL to a running LocalStack-compatible endpoint"
  local tools moto port up
  tools=$("$root/scripts/venv.sh" tools) || { echo "$0: cannot install moto_server: $how_moto" >&2; exit 1; }
  moto="$tools/bin/moto_server"
  [ -x "$moto" ] || { echo "$0: $moto is missing: $how_moto" >&2; exit 1; }
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  moto_log=$(mktemp)
  # scripts/moto_server.py: moto's server, one request at a time (DynamoDB's atomic writes)
  "$tools/bin/python" "$root/scripts/moto_server.py" -H 127.0.0.1 -p "$port" >"$moto_log" 2>&1 &
  moto_pid=$!
  trap 'kill $moto_pid 2>/dev/null || true; rm -f "$moto_log"' EXIT
  up=0
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && { up=1; break; }
    kill -0 $moto_pid 2>/dev/null || break
    sleep 0.1
  done
  if [ $up = 0 ]; then
    cat "$moto_log" >&2
    echo "$0: moto_server ($moto) did not answer on 127.0.0.1:$port (log above): $how_moto" >&2
    exit 1
  fi
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  echo "moto_server on $AWS_ENDPOINT_URL"
}
