#!/usr/bin/env bash
# Builds the Lambda assets that the CDK app (infra/) points at:
#   $BUILD_DIR/lambda/<fn>/bootstrap          one per function under functions/
#   $BUILD_DIR/layer/lib/libonnxruntime.so.1  the ONNX Runtime layer (/opt/lib/... on Lambda)
#
#   scripts/build-lambdas.sh [fn ...]   build these functions (default: all) and the layer
#   scripts/build-lambdas.sh --list     print the default function list
#
# Env: ARCH=x86_64|arm64 (default x86_64; must match the CDK context "arch"),
#      BUILD_DIR (default build). Binaries are built with -tags lambda.norpc for
#      provided.al2023. Every function is built by shared/bundle, which links every part;
#      the functions that run ONNX Runtime (ONNX_FUNCTIONS, the ones the serving stack gives
#      the layer; infra/assets_test.go checks the two agree) are cgo builds, with
#      aarch64-linux-gnu-gcc as the C compiler for arm64 (apt-get install
#      gcc-aarch64-linux-gnu); the others are built without cgo, so they get shared/onnx's
#      stub and stay static. Every binary and the library are checked
#      to need no glibc symbol version newer than AL2023's glibc 2.34.
# Every function is attempted; the exit status is 1 if any failed, naming each one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

FUNCTIONS=(recommend classify ingest models reload)
ONNX_FUNCTIONS=(recommend classify reload)
MAX_GLIBC=2.34

die() { echo "build-lambdas.sh: $*" >&2; exit 1; }
[ "${1:-}" = "--list" ] && { echo "${FUNCTIONS[*]}"; exit 0; }

arch=${ARCH:-x86_64}
case "$arch" in
  x86_64) goarch=amd64 ortarch=x64 cc=${CC_X86_64:-gcc} ;;
  arm64) goarch=arm64 ortarch=arm64 cc=${CC_ARM64:-aarch64-linux-gnu-gcc} ;;
  *) die "unknown ARCH=$arch (want x86_64 or arm64)" ;;
esac
out=${BUILD_DIR:-build}
mkdir -p "$out"
out=$(cd "$out" && pwd)
fns=("$@"); [ ${#fns[@]} -eq 0 ] && fns=("${FUNCTIONS[@]}")

# glibc_ok FILE: fails when FILE needs a GLIBC_x.y symbol version newer than MAX_GLIBC.
glibc_ok() {
  local newest
  newest=$(readelf --dyn-syms --wide "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)
  if [ -n "$newest" ] && [ "$(printf '%s\n%s\n' "$newest" "$MAX_GLIBC" | sort -V | tail -n1)" != "$MAX_GLIBC" ]; then
    echo "$1 needs GLIBC_$newest, newer than AL2023's $MAX_GLIBC" >&2
    return 1
  fi
  echo "  $(basename "$(dirname "$1")")/$(basename "$1"): $(stat -c %s "$1") bytes, newest GLIBC ${newest:-none}"
}

failed=()
for fn in "${fns[@]}"; do
  if [ ! -d "functions/$fn" ]; then
    echo "functions/$fn: missing (no such directory)" >&2; failed+=("$fn"); continue
  fi
  cgo=0
  [[ " ${ONNX_FUNCTIONS[*]} " == *" $fn "* ]] && cgo=1
  if [ "$cgo" = 1 ] && ! command -v "$cc" >/dev/null; then
    echo "functions/$fn: needs cgo and the C compiler $cc is missing" >&2; failed+=("$fn"); continue
  fi
  dir="$out/lambda/$fn"
  mkdir -p "$dir"
  rm -f "$dir/bootstrap"
  echo "building $fn ($arch, cgo=$cgo)"
  if ! GOOS=linux GOARCH=$goarch CGO_ENABLED=$cgo CC=$cc go build -trimpath -tags lambda.norpc \
      -ldflags='-s -w' -o "$dir/bootstrap" "./functions/$fn"; then
    echo "functions/$fn: build failed" >&2; failed+=("$fn"); continue
  fi
  glibc_ok "$dir/bootstrap" || failed+=("$fn")
done

lib=$("$root/scripts/onnxruntime.sh" --arch "$ortarch") || die "scripts/onnxruntime.sh --arch $ortarch failed"
mkdir -p "$out/layer/lib"
cp "$lib" "$out/layer/lib/libonnxruntime.so.1"
chmod 0644 "$out/layer/lib/libonnxruntime.so.1"
glibc_ok "$out/layer/lib/libonnxruntime.so.1" || failed+=("layer")

if [ ${#failed[@]} -gt 0 ]; then
  echo "build-lambdas.sh: failed: ${failed[*]}" >&2
  exit 1
fi
echo "assets ready in $out ($arch)"
