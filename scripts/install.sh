#!/usr/bin/env bash
# Installs the pinned pnpm and the workspace's dependencies exactly as locked. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
# onnxruntime-node's postinstall downloads its CUDA provider (from NuGet) unless told to skip; skip is the default
# here (offline machines, no NVIDIA GPU). A value set by the caller wins: ONNXRUNTIME_NODE_INSTALL_CUDA=v12 (or
# ONNXRUNTIME_NODE_INSTALL=cuda12) bash scripts/install.sh installs it. See README.md, "GPU".
if [ -z "${ONNXRUNTIME_NODE_INSTALL_CUDA:-}" ] && [ -z "${ONNXRUNTIME_NODE_INSTALL:-}" ]; then
  export ONNXRUNTIME_NODE_INSTALL_CUDA=skip
fi
echo "install: onnxruntime-node CUDA provider: ${ONNXRUNTIME_NODE_INSTALL:-${ONNXRUNTIME_NODE_INSTALL_CUDA}}" >&2

if ! command -v node >/dev/null 2>&1; then
  echo "install: Node.js 20 or later is required (https://nodejs.org)" >&2
  exit 1
fi
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  # Pinned through npm: corepack's signature check fails on some networks.
  echo "install: installing pnpm@$PNPM_VERSION" >&2
  npm install --global "pnpm@$PNPM_VERSION" >&2
fi
pnpm install --frozen-lockfile >&2

# pnpm runs onnxruntime-node's postinstall only when it installs the package, so an earlier install that skipped the
# CUDA provider keeps skipping it: fetch it now when it was asked for and is missing.
if [ "${ONNXRUNTIME_NODE_INSTALL:-${ONNXRUNTIME_NODE_INSTALL_CUDA}}" != skip ] && [ "$(uname -s)/$(uname -m)" = Linux/x86_64 ]; then
  ort_bin=$(node -e "const p=require('node:path');console.log(p.join(p.dirname(p.dirname(require.resolve('onnxruntime-node',{paths:['packages/embed']}))),'bin/napi-v6/linux/x64'))")
  if [ ! -e "$ort_bin/libonnxruntime_providers_cuda.so" ]; then
    echo "install: the CUDA provider is missing from $ort_bin; running pnpm rebuild onnxruntime-node" >&2
    pnpm rebuild onnxruntime-node >&2
  fi
fi
