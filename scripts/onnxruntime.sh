#!/usr/bin/env bash
# Fetches the ONNX Runtime shared library (libonnxruntime.so.1 for linux x64 and arm64) from
# the onnxruntime wheel that training/requirements.lock pins, once per machine, and prints a
# path on stdout. Go serving and the Python parity/int8 export thus run the same runtime.
#
#   scripts/onnxruntime.sh               path of the library for this machine's architecture
#   scripts/onnxruntime.sh --arch arm64  path of the arm64 (or x64) library (Lambda layer build)
#   scripts/onnxruntime.sh --dir         the version directory holding x64/ and arm64/
#   scripts/onnxruntime.sh --version     the pinned version (the `onnxruntime==` line of the lock)
#
# The version is read from training/requirements.lock, its only definition. The two wheels
# (manylinux_2_28 x86_64 and aarch64, cp311) are fetched with `pip download --no-deps`, their
# sha256 checked against WHEEL_SHA256 below, and onnxruntime/capi/libonnxruntime.so.<version>
# of each extracted to $MLBUNDLE_CACHE/onnxruntime/<version>/{x64,arm64}/libonnxruntime.so.1
# (MLBUNDLE_CACHE defaults to ~/.cache/mlbundle). A second run needs no network.
# onnxruntime_go v1.27.0 asks for C API version 24, so the library must be >= 1.24.
# To move to another version: change the lock, then add its two wheel sha256s below.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# sha256 of the wheels, by "<version> <arch>"
declare -A WHEEL_SHA256=(
  ["1.32.0 x64"]=5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d
  ["1.32.0 arm64"]=2303372a85299b6757b0e11e1cbf13e410ddf7e10c37f4b37e99d1c90e7daf7c
)
declare -A WHEEL_PLATFORM=([x64]=manylinux_2_28_x86_64 [arm64]=manylinux_2_28_aarch64)

die() { echo "onnxruntime.sh: $*" >&2; exit 1; }

lockfile="$root/training/requirements.lock"
ORT_VERSION=$(sed -n 's/^onnxruntime==\([^ ;#]*\).*/\1/p' "$lockfile")
[ -n "$ORT_VERSION" ] || die "no onnxruntime==<version> line in $lockfile"

mode=lib
arch=
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) [ $# -ge 2 ] || die "--arch needs a value (x64 or arm64)"; arch=$2; shift 2 ;;
    --dir) mode=dir; shift ;;
    --version) echo "$ORT_VERSION"; exit 0 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
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

for a in x64 arm64; do
  [ -n "${WHEEL_SHA256[$ORT_VERSION $a]:-}" ] ||
    die "training/requirements.lock pins onnxruntime==$ORT_VERSION, but this script has no $a wheel sha256 for it: add both to WHEEL_SHA256"
done

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9   # several checkouts on one machine may run this at the same time
if [ -f "$dir/.complete" ]; then emit; exit 0; fi

python3 -m pip --version >/dev/null 2>&1 ||
  die "python3 -m pip not found: it is needed once to fetch the onnxruntime==$ORT_VERSION wheels"
command -v unzip >/dev/null || die "unzip not found: it is needed once to open the onnxruntime wheels"
tmp=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out="$tmp/out"
for a in x64 arm64; do
  platform=${WHEEL_PLATFORM[$a]}
  echo "fetching the onnxruntime==$ORT_VERSION wheel for $platform (first time only)" >&2
  python3 -m pip download --quiet --no-deps --only-binary=:all: --platform "$platform" \
    --python-version 3.11 --dest "$tmp/$a" "onnxruntime==$ORT_VERSION" >&2 ||
    die "pip download onnxruntime==$ORT_VERSION ($platform) failed"
  whl=$(ls "$tmp/$a"/onnxruntime-"$ORT_VERSION"-*.whl 2>/dev/null | head -n 1)
  [ -n "$whl" ] || die "pip download did not produce an onnxruntime-$ORT_VERSION wheel for $platform"
  got=$(sha256sum "$whl" | cut -d' ' -f1)
  want=${WHEEL_SHA256[$ORT_VERSION $a]}
  [ "$got" = "$want" ] || die "sha256 mismatch for $(basename "$whl"): got $got, want $want"
  member="onnxruntime/capi/libonnxruntime.so.$ORT_VERSION"
  mkdir -p "$out/$a"
  unzip -q -o -j "$whl" "$member" -d "$tmp/$a" || die "$member missing from $(basename "$whl")"
  mv "$tmp/$a/libonnxruntime.so.$ORT_VERSION" "$out/$a/libonnxruntime.so.1"
  chmod 0644 "$out/$a/libonnxruntime.so.1"
done
touch "$out/.complete"
rm -rf "$dir"
mv "$out" "$dir"
echo "onnxruntime $ORT_VERSION ready in $dir" >&2
emit
