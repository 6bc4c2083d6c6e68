#!/usr/bin/env bash
# The CDK app's entry points (see docs/infra.md).
#
#   scripts/cdk.sh synth [-c key=value ...]   build the Lambda assets, then synthesize the
#                                             templates into cdk.out/ (offline: Go + Node,
#                                             no AWS account, no aws-cdk CLI, no Docker)
#   scripts/cdk.sh deploy [cdk deploy args]   build the assets and run `cdk deploy --all`
#                                             (needs the npm aws-cdk CLI, credentials and,
#                                             for the training image, Docker)
#   scripts/cdk.sh test [go test args]        go test ./infra/... (assertions on the templates)
#
# jsii (which runs the CDK's JavaScript for Go) prints a large warning on every run when
# Node is past its end of life (this machine has Node 20); the variables below silence it
# for this Node major only. They are what jsii's own check reads (@jsii/check-node).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

command -v node >/dev/null || { echo "cdk.sh: node not found (jsii needs it)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-$node_major}
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=${JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION:-1}

# context_json [-c key=value ...]: cdk.json's context with the -c overrides, as JSON.
context_json() {
  node - "$@" <<'JS'
const ctx = require(process.cwd() + "/cdk.json").context || {};
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] !== "-c" && args[i] !== "--context") continue;  // other cdk arguments
  const a = args[++i] || "";
  if (!a.includes("=")) { console.error(`cdk.sh: want -c key=value, got -c ${a}`); process.exit(2); }
  const k = a.slice(0, a.indexOf("="));
  ctx[k] = a.slice(a.indexOf("=") + 1);
}
console.log(JSON.stringify(ctx));
JS
}

# arch_of [-c key=value ...]: the function architecture the app will use.
arch_of() { context_json "$@" | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).arch || "x86_64"'; }

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  synth)
    ctx=$(context_json "$@")
    ARCH=$(arch_of "$@") "$root/scripts/build-lambdas.sh"
    rm -rf cdk.out
    start=$(date +%s.%N)
    CDK_CONTEXT_JSON=$ctx CDK_OUTDIR=$root/cdk.out go run ./infra
    end=$(date +%s.%N)
    printf 'synthesized in %.1f s:\n' "$(echo "$end - $start" | bc)"
    for t in cdk.out/*.template.json; do printf '  %s %s bytes\n' "$t" "$(stat -c %s "$t")"; done
    ;;
  deploy)
    command -v cdk >/dev/null || { echo "cdk.sh: the aws-cdk CLI is needed (npm install -g aws-cdk)" >&2; exit 1; }
    ARCH=$(arch_of "$@") "$root/scripts/build-lambdas.sh"
    cdk deploy --all --require-approval broadening "$@"
    ;;
  test)
    go test -count=1 "$@" ./infra/...
    ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
