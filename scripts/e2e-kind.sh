#!/usr/bin/env bash
# Runs the e2e suite (tests/e2e) in a kind cluster: builds the operator image,
# creates the cluster `cloudnet-e2e` when absent, loads the image into it and
# runs `pytest tests/e2e -m e2e` against it.
#
# Needs: docker (a running engine), kind, kubectl, helm (>= 3.17 for
# --take-ownership; `make tools` installs helm v4 into .tools/bin), and the
# project's dev dependencies (pytest) in $VENV (default .venv; `make install`).
#
# Environment:
#   CLOUDNET_IMAGE   image to build and test (default cloudnet-operator:dev)
#   KIND_CLUSTER     cluster name (default cloudnet-e2e)
#   KIND_NODE_IMAGE  kindest/node image, to pin the Kubernetes version (optional)
#   KEEP_CLUSTER=1   keep a cluster this script created (it is deleted by default;
#                    a cluster that existed before is never deleted)
#   SKIP_BUILD=1     use an image already built
#   VENV             virtualenv with pytest (default .venv)
# Extra arguments go to pytest, e.g. scripts/e2e-kind.sh -x -k lifecycle.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/.tools/bin:$PATH"

image="${CLOUDNET_IMAGE:-cloudnet-operator:dev}"
cluster="${KIND_CLUSTER:-cloudnet-e2e}"
venv="${VENV:-$root/.venv}"

die() {
  echo "e2e-kind: $*" >&2
  exit 1
}

command -v docker >/dev/null || die "docker not found: the e2e suite needs a Docker engine for kind (install Docker, or point KUBECONFIG at any cluster with the image and run: pytest tests/e2e -m e2e)"
docker info >/dev/null 2>&1 || die "docker is installed but no engine answers (is the daemon running, may this user use it?)"
command -v kind >/dev/null || die "kind not found: see https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
command -v kubectl >/dev/null || die "kubectl not found"
command -v helm >/dev/null || die "helm not found: run 'make tools' (installs helm into .tools/bin)"
[[ -x "$venv/bin/pytest" ]] || die "no pytest in $venv: run 'make install' (or set VENV)"

if [[ "${SKIP_BUILD:-0}" != "1" ]]; then
  echo "e2e-kind: building $image"
  docker build -t "$image" "$root"
fi

created=0
if kind get clusters 2>/dev/null | grep -qx "$cluster"; then
  echo "e2e-kind: using the existing kind cluster $cluster"
else
  echo "e2e-kind: creating kind cluster $cluster"
  kind create cluster --name "$cluster" --wait 120s ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"}
  created=1
fi

cleanup() {
  if [[ "$created" == "1" && "${KEEP_CLUSTER:-0}" != "1" ]]; then
    echo "e2e-kind: deleting kind cluster $cluster (KEEP_CLUSTER=1 keeps it)"
    kind delete cluster --name "$cluster" || true
  fi
  rm -f "$kubeconfig"
}
kubeconfig="$(mktemp)"
trap cleanup EXIT

# A kubeconfig of its own: the user's current context stays untouched.
kind get kubeconfig --name "$cluster" >"$kubeconfig"
export KUBECONFIG="$kubeconfig"

echo "e2e-kind: loading $image into $cluster"
kind load docker-image "$image" --name "$cluster"

export CLOUDNET_IMAGE="$image"
# -rs: a skip is reported (and fails the script below), never counted as a pass.
set +e
"$venv/bin/pytest" tests/e2e -m e2e -v -rs -p no:cacheprovider "$@" | tee "$kubeconfig.log"
status=${PIPESTATUS[0]}
set -e
if grep -q "SKIPPED" "$kubeconfig.log"; then
  echo "e2e-kind: some e2e tests were skipped although a cluster was set up" >&2
  status=1
fi
rm -f "$kubeconfig.log"
exit "$status"
