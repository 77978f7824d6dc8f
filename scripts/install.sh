#!/usr/bin/env bash
# Installs the pinned pnpm and the workspace's dependencies exactly as locked. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
# onnxruntime-node's postinstall otherwise tries to download CUDA libraries (and fails offline).
export ONNXRUNTIME_NODE_INSTALL_CUDA=skip

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
