#!/usr/bin/env bash
# Creates (once per machine) a Python virtualenv from a pinned requirements file, keyed by
# the file's hash, outside the checkout so that every clone on this machine reuses it.
# Prints the venv directory on stdout (and nothing else); progress goes to stderr.
#
#   scripts/venv.sh          the training venv   (training/requirements.lock -> venv-<hash>)
#   scripts/venv.sh tools    the test-tools venv (scripts/test-tools.lock    -> tools-<hash>)
#
# Venvs live in $MLBUNDLE_CACHE (default ~/.cache/mlbundle). A second run is a no-op; runs
# from several checkouts at once wait for one another (flock) instead of building twice.
# pip's own progress (a bar on a terminal, one line per download otherwise) shows on stderr.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-training}" in
  training) lock="$root/training/requirements.lock" prefix=venv what="training venv (torch is large: first time only)" ;;
  tools) lock="$root/scripts/test-tools.lock" prefix=tools what="test-tools venv (moto_server)" ;;
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
  *) echo "venv.sh: unknown venv $1 (want training or tools)" >&2; exit 2 ;;
esac
cache="${MLBUNDLE_CACHE:-$HOME/.cache/mlbundle}"
hash=$(sha256sum "$lock" | cut -c1-12)
venv="$cache/$prefix-$hash"

if [ ! -f "$venv/.complete" ]; then
  mkdir -p "$cache"
  exec 9>"$venv.lock"
  if ! flock -n 9; then
    echo "waiting for another process that is creating $venv" >&2
    flock 9
  fi
fi
if [ ! -f "$venv/.complete" ]; then
  # built in place (console scripts such as moto_server record the interpreter's path);
  # .complete, written last, marks a finished venv
  rm -rf "$venv" # what an interrupted run left
  echo "creating $what: $venv" >&2
  start=$SECONDS
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip >&2
  # pip's progress bar (or one line per file when stderr is not a terminal), not -q: the
  # training lock is several GB and would otherwise look like a hang for minutes
  "$venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on -r "$lock" 1>&2
  touch "$venv/.complete"
  echo "$venv ready in $((SECONDS - start)) s" >&2
fi
# the project package is not installed into the venv: callers put training/ on PYTHONPATH,
# so several checkouts can share one venv.
echo "$venv"
