#!/usr/bin/env bash
# Installs the AWS Lambda Runtime Interface Emulator (the Go module
# github.com/aws/aws-lambda-runtime-interface-emulator, served by the Go module proxy; no
# Docker) at the pinned version, once per machine, and prints the path of its binary.
# The emulator runs a built bootstrap as Lambda's provided.al2023 runtime does and takes
# invocations at POST /2015-03-31/functions/function/invocations (functions/emulator_test.go).
#
#   scripts/rie.sh             path of aws-lambda-rie (installing it first when missing)
#   scripts/rie.sh --version   the pinned version
#
# The module has no tagged releases: RIE_VERSION is the pseudo-version of the commit in use
# (`GOFLAGS=-mod=mod go list -m github.com/aws/aws-lambda-runtime-interface-emulator@latest`
# prints the newest); go install checks it against the checksum database. The binary goes
# to $MLBUNDLE_CACHE/rie/<version>/ (MLBUNDLE_CACHE defaults to ~/.cache/mlbundle).
set -euo pipefail
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
[ "${1:-}" = "--version" ] && { echo "$RIE_VERSION"; exit 0; }

dir=${MLBUNDLE_CACHE:-$HOME/.cache/mlbundle}/rie/$RIE_VERSION
bin=$dir/aws-lambda-rie
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  GOBIN=$dir CGO_ENABLED=0 go install \
    "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION" >&2
fi
echo "$bin"
