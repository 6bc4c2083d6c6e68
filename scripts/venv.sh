#!/usr/bin/env bash
# Creates (once per machine) the training virtualenv, keyed by the hash of the pinned
# requirements, outside the checkout so that every clone on this machine reuses it.
# Prints the venv directory on stdout. A second run is a no-op.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lock="$root/training/requirements.lock"
cache="${MLBUNDLE_CACHE:-$HOME/.cache/mlbundle}"
hash=$(sha256sum "$lock" | cut -c1-12)
venv="$cache/venv-$hash"
if [ ! -f "$venv/.complete" ]; then
  mkdir -p "$cache"
  tmp="$venv.partial.$$"
  rm -rf "$tmp"
  echo "creating training venv $venv (torch is large: first time only)" >&2
  python3 -m venv "$tmp"
  "$tmp/bin/python" -m pip install -q --upgrade pip >&2
  "$tmp/bin/python" -m pip install -q -r "$lock" >&2
  rm -rf "$venv"
  mv "$tmp" "$venv"
  # a venv records its own path: rebuild the activation scripts for the final location
  python3 -m venv --upgrade "$venv" >&2
  touch "$venv/.complete"
fi
# the project package is not installed into the venv: callers put training/ on PYTHONPATH,
# so several checkouts can share one venv.
echo "$venv"
