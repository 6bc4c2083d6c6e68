#!/usr/bin/env bash
# The product end to end on one machine, no cloud and no Docker:
#   1. training venv + ONNX Runtime library (cached under ~/.cache/mlbundle)
#   2. synthetic interactions (python -m mlbundle_training.cli prepare)
#   3. a small NCF recommender and a small MiniLM classifier (testdata/classification),
#      published to models/ with ACTIVE pointers
#   4. the interactions loaded into the embedded store (.local/interactions.db)
#   5. `mlbundle serve` in the background; recommend (known + cold-start user) and
#      classify with curl; one line per answer; the server stopped.
#   6. a summary: what was trained, its metrics (NCF next to the popularity baseline), where
#      it is published, and the answers.
# The terminal shows progress bars and those lines; everything else (the JSON training
# records, full API answers) goes to the log file .local/demo/demo-<time>.log, named at the
# start and at the end; the server's own log is .local/demo/server.log.
#
#   scripts/demo.sh          everything (make demo)
#   scripts/demo.sh train    steps 1-3 only (make train)
#   scripts/demo.sh serve    steps 4-5 over what models/ holds
#
# Knobs (environment): DEMO_PORT (8080, or a free port if taken), NCF_EPOCHS (5),
# CLS_EPOCHS (1), CLS_MAX_LENGTH (64), THREADS (2), MODELS_DIR (models).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mode=${1:-all}
case "$mode" in all|train|serve) ;; *) echo "usage: scripts/demo.sh [all|train|serve]" >&2; exit 2 ;; esac

export MODELS_DIR=${MODELS_DIR:-models}
export INTERACTIONS_DB=${INTERACTIONS_DB:-.local/interactions.db}
work=.local/demo
data=$work/data
mkdir -p "$work" "$MODELS_DIR"
threads=${THREADS:-2}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
step() { printf '\n== %s\n' "$*"; }
log="$root/$work/demo-$stamp.log"
: >"$log"
echo "demo log (JSON training records, full answers): $log"
answers=()   # one line per API answer, for the summary

step "setup: training venv and ONNX Runtime"
venv=$("$root/scripts/venv.sh")
export ONNXRUNTIME_LIB=${ONNXRUNTIME_LIB:-$("$root/scripts/onnxruntime.sh")}
py() { PYTHONPATH="$root/training" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 "$venv/bin/python" -m mlbundle_training.cli --log-file "$log" "$@"; }
echo "venv $venv"
echo "onnxruntime $ONNXRUNTIME_LIB"

train() {
  rm -rf "$work/build" # unpublished copies of an earlier run
  step "synthetic interactions -> $data"
  py prepare --data-path synthetic --out "$data" --seed 0 >/dev/null
  cat "$data/train.jsonl" "$data/validation.jsonl" "$data/test.jsonl" > "$data/interactions.jsonl"
  echo "$(wc -l < "$data/interactions.jsonl") interactions, $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$data/users.json") users"

  # small data: small batches and a higher learning rate than the defaults (sized for
  # millions of interactions) so that a few epochs beat the popularity baseline clearly
  step "train NCF (${NCF_EPOCHS:-8} epochs) and publish to $MODELS_DIR"
  local t0=$SECONDS
  ncf_dir=$(py train-ncf --data-path "$data/interactions.jsonl" --output-dir "$work/build" \
    --version "demo-$stamp" --epochs "${NCF_EPOCHS:-8}" \
    --batch-size 256 --lr 0.003 --threads "$threads" | tail -n 1)
  py publish "$ncf_dir" --to "$MODELS_DIR" --activate >>"$log"
  echo "ncf demo-$stamp trained and published in $((SECONDS - t0)) s"

  # one epoch only, so a higher encoder learning rate than the 2e-5 of the 3-epoch default
  step "train the classifier on testdata/classification (${CLS_EPOCHS:-1} epoch, max length ${CLS_MAX_LENGTH:-64})"
  t0=$SECONDS
  cls_dir=$(py train-classifier --data testdata/classification/sample.json --output-dir "$work/build" \
    --version "demo-$stamp" --epochs "${CLS_EPOCHS:-1}" --max-length "${CLS_MAX_LENGTH:-64}" --lr 1e-4 \
    --threads "$threads" | tail -n 1)
  py publish "$cls_dir" --to "$MODELS_DIR" --activate >>"$log"
  echo "classifier demo-$stamp trained and published in $((SECONDS - t0)) s"
  rm -rf "$work/build" # published copies live in $MODELS_DIR now
  prune ncf; prune classifier
}

# prune keeps the two newest demo-* versions of a kind (the names sort by time), so that
# repeated demos do not fill the disk; other versions are never touched.
prune() {
  local old
  old=$(ls -d "$MODELS_DIR/$1"/demo-* 2>/dev/null | sort | head -n -2)
  [ -z "$old" ] && return 0
  echo "removing older demo versions: $old"
  rm -rf $old
}

free_port() {
  python3 -c 'import socket,sys
p=int(sys.argv[1]); s=socket.socket()
try: s.bind(("127.0.0.1",p))
except OSError: s.bind(("127.0.0.1",0))
print(s.getsockname()[1])' "$1"
}

serve() {
  step "build mlbundle"
  mkdir -p .local/bin
  go build -o .local/bin/mlbundle ./cmd/mlbundle

  if [ -f "$data/interactions.jsonl" ]; then
    step "load interactions into $INTERACTIONS_DB"
    .local/bin/mlbundle load-interactions "$data/interactions.jsonl"
  fi

  port=$(free_port "${DEMO_PORT:-8080}")
  step "serve on 127.0.0.1:$port (log: $work/server.log)"
  .local/bin/mlbundle serve -addr "127.0.0.1:$port" >"$work/server.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 $server 2>/dev/null || { cat "$work/server.log" >&2; echo "server exited" >&2; exit 1; }
    sleep 0.2
  done

  known=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["user_id"])' "$data/interactions.jsonl" 2>/dev/null || echo u1)
  show() { # method path [body]: the status here, one line for the summary, the full answer in the log
    local out=$work/answer.json status line
    if [ $# -ge 3 ]; then
      status=$(curl -sS -X "$1" -H 'content-type: application/json' --data "$3" -o "$out" -w '%{http_code}' "$base$2")
    else
      status=$(curl -sS -X "$1" -o "$out" -w '%{http_code}' "$base$2")
    fi
    { printf '\n$ curl -X %s %s%s %s\n' "$1" "$base" "$2" "${3:-}"; cat "$out"; echo; } >>"$log"
    line=$(python3 scripts/demo_summary.py answer "$status" "$out")
    echo "$1 $2 -> HTTP $status"
    answers+=("$1 $2${3:+ $3}" "  -> $line")
  }
  step "answers"
  show GET /v1/models
  show GET "/v1/users/$known/recommendations?k=5&exclude_seen=true"
  top=$(curl -sS "$base/v1/users/$known/recommendations?k=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["item_id"])')
  now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  show POST /v1/interactions "{\"interactions\": [{\"user_id\": \"$known\", \"item_id\": \"$top\", \"timestamp\": \"$now\", \"event\": \"view\"}]}"
  answers+=("(the next answer for $known no longer holds $top)")
  show GET "/v1/users/$known/recommendations?k=5&exclude_seen=true"
  show GET "/v1/users/newcomer-$stamp/recommendations?k=5"
  show POST /v1/classify '{"text": "Crude oil prices rose after producers agreed to cut output, traders said."}'
  show POST /v1/classify '{"texts": ["The central bank cut interest rates to support growth.", "Wheat and corn exports fell this season."], "top_k": 2}'
  step "stop the server"
  kill $server; wait $server 2>/dev/null || true
  trap - EXIT
  echo "server log: $work/server.log"
}

summary() {
  step "summary"
  python3 scripts/demo_summary.py models "$MODELS_DIR"
  if [ ${#answers[@]} -gt 0 ]; then
    echo "answers (full bodies in the log):"
    printf '  %s\n' "${answers[@]}"
  fi
  echo "log: $log"
}

t_start=$SECONDS
case "$mode" in
  all) train; serve; summary ;;
  train) train; summary ;;
  serve) serve; summary ;;
esac
echo "demo ($mode) took $((SECONDS - t_start)) s"
