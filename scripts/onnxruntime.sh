#!/usr/bin/env bash
# Fetches the ONNX Runtime shared library (libonnxruntime.so.1 for linux x64 and arm64) from
# the pinned npm package onnxruntime-node, once per machine, and prints a path on stdout.
#
#   scripts/onnxruntime.sh               path of the library for this machine's architecture
#   scripts/onnxruntime.sh --arch arm64  path of the arm64 (or x64) library (Lambda layer build)
#   scripts/onnxruntime.sh --dir         the version directory holding x64/ and arm64/
#   scripts/onnxruntime.sh --version     the pinned version
#
# The package is fetched with `npm pack` (never `npm install`: its install script downloads
# CUDA files), its sha256 is checked against the pinned constant below, and both libraries
# are extracted to $MLBUNDLE_CACHE/onnxruntime/<version>/{x64,arm64}/libonnxruntime.so.1
# (MLBUNDLE_CACHE defaults to ~/.cache/mlbundle). A second run needs no network.
# onnxruntime_go v1.27.0 asks for C API version 24, so the library must be >= 1.24.
# To move to another version: change both constants below (sha256 of the .tgz from npm pack).
set -euo pipefail

ORT_VERSION=1.30.0
ORT_TGZ_SHA256=6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75

die() { echo "onnxruntime.sh: $*" >&2; exit 1; }

mode=lib
arch=
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) [ $# -ge 2 ] || die "--arch needs a value (x64 or arm64)"; arch=$2; shift 2 ;;
    --dir) mode=dir; shift ;;
    --version) echo "$ORT_VERSION"; exit 0 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $1 (want --arch x64|arm64, --dir or --version)" ;;
  esac
done
if [ -z "$arch" ]; then
  case "$(uname -m)" in
    x86_64|amd64) arch=x64 ;;
    aarch64|arm64) arch=arm64 ;;
    *) die "unsupported machine architecture $(uname -m) (want x86_64 or aarch64)" ;;
  esac
fi
case "$arch" in x64|arm64) ;; *) die "unknown --arch $arch (want x64 or arm64)" ;; esac

cache="${MLBUNDLE_CACHE:-$HOME/.cache/mlbundle}/onnxruntime"
dir="$cache/$ORT_VERSION"

emit() {
  if [ "$mode" = dir ]; then echo "$dir"; else echo "$dir/$arch/libonnxruntime.so.1"; fi
}

# fast path: a complete extraction is marked by .complete, written last
if [ -f "$dir/.complete" ]; then emit; exit 0; fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # several checkouts on one machine may run this at the same time
if [ -f "$dir/.complete" ]; then emit; exit 0; fi

command -v npm >/dev/null || die "npm not found: it is needed once to fetch onnxruntime-node@$ORT_VERSION"
tmp=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "fetching onnxruntime-node@$ORT_VERSION with npm pack (first time only)" >&2
(cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null) ||
  die "npm pack onnxruntime-node@$ORT_VERSION failed"
tgz="$tmp/onnxruntime-node-$ORT_VERSION.tgz"
[ -f "$tgz" ] || die "npm pack did not produce $(basename "$tgz")"
got=$(sha256sum "$tgz" | cut -d' ' -f1)
[ "$got" = "$ORT_TGZ_SHA256" ] ||
  die "sha256 mismatch for onnxruntime-node-$ORT_VERSION.tgz: got $got, want $ORT_TGZ_SHA256"

out="$tmp/out"
for a in x64 arm64; do
  member="package/bin/napi-v6/linux/$a/libonnxruntime.so.1"
  mkdir -p "$out/$a"
  tar -xzf "$tgz" -C "$tmp" "$member" || die "$member missing from onnxruntime-node-$ORT_VERSION.tgz"
  mv "$tmp/$member" "$out/$a/libonnxruntime.so.1"
done
touch "$out/.complete"
rm -rf "$dir"
mv "$out" "$dir"
echo "onnxruntime $ORT_VERSION ready in $dir" >&2
emit
