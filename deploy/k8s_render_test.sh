#!/usr/bin/env bash
# Renders the example overlay with `kubectl kustomize` (Debian's kubectl
# 1.20 embeds kustomize v2.0.3; newer ones render the same objects) and
# checks the objects structurally (check_rendered.py, Debian's python3 with
# python3-yaml). The tree is copied first: kustomize refuses files that
# resolve outside the kustomization root, which runfiles symlinks do.
set -euo pipefail

RUNFILES="${TEST_SRCDIR:-$PWD}/${TEST_WORKSPACE:-socketsvc}"
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/k8s.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

command -v kubectl >/dev/null || { echo "FAIL: no kubectl (tools/install_deps.sh installs it)"; exit 1; }
kubectl version --client 2>/dev/null | head -1 || true
cp -rL "$RUNFILES/deploy/k8s" "$WORK/k8s"
# kubectl wants a writable home for its cache.
if ! HOME="$WORK" kubectl kustomize "$WORK/k8s/overlays/example" \
    >"$WORK/rendered.yaml" 2>"$WORK/kustomize.err"; then
  echo "FAIL: kubectl kustomize failed:"
  cat "$WORK/kustomize.err"
  exit 1
fi
grep -v "^# Warning: '.*' is deprecated" "$WORK/kustomize.err" || true
/usr/bin/python3 "$RUNFILES/deploy/check_rendered.py" "$WORK/rendered.yaml"
