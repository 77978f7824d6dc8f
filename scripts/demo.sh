#!/usr/bin/env bash
# The end-to-end demo for a fresh clone: install, build, index this project's own documentation (README.md,
# ARCHITECTURE.md, packages/*/README.md) into embedded PGlite, then ask a question about it.
#
#   bash scripts/demo.sh ["your question"]
#
# Without a generation endpoint, `winnow ask` prints the retrieved sources and says how to configure one; with
# OPENAI_BASE_URL (e.g. a vLLM server, http://localhost:8000/v1) or OPENAI_API_KEY set, it streams a cited answer.
# Models resolve from WINNOW_MODELS, else ../shared/models beside the checkout, else the Hugging Face hub.
#
# Env: WINNOW_DEMO_DIR (config and database; default .winnow/demo), WINNOW_DEMO_SKIP_SETUP=1 (skip install and
# build), WINNOW_DEMO_FROM_SOURCE=1 (run the CLI from packages/cli/src with tsx instead of the build),
# WINNOW_DEMO_DEVICE (auto: the GPU when onnxruntime can use one, else the CPU; or cpu, cuda).
# Re-running is cheap: the reindex skips unchanged files. The config is written once; delete it to start over.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
QUESTION=${1:-"What does winnow reindex do, and what do its exit codes mean?"}
DEMO_DIR=${WINNOW_DEMO_DIR:-$ROOT/.winnow/demo}
DEVICE=${WINNOW_DEMO_DEVICE:-auto}

log() { printf 'demo: %s\n' "$*" >&2; }

if [ "${WINNOW_DEMO_SKIP_SETUP:-}" != 1 ]; then
  log "installing dependencies (scripts/install.sh)"
  bash scripts/install.sh
  log "building (pnpm build)"
  pnpm build >&2
fi

if [ "${WINNOW_DEMO_FROM_SOURCE:-}" = 1 ]; then
  winnow() { node --conditions=source --import "$ROOT/node_modules/tsx/dist/esm/index.mjs" "$ROOT/packages/cli/src/bin.ts" "$@"; }
else
  if [ ! -f packages/cli/dist/bin.js ]; then
    log "packages/cli/dist/bin.js is missing: run pnpm build, or set WINNOW_DEMO_FROM_SOURCE=1"
    exit 1
  fi
  winnow() { node "$ROOT/packages/cli/dist/bin.js" "$@"; }
fi

mkdir -p "$DEMO_DIR"
CONFIG="$DEMO_DIR/winnow.config.yaml"
if [ ! -f "$CONFIG" ]; then
  # JSON strings for the paths: valid YAML whatever characters the checkout's path holds.
  cat >"$CONFIG" <<EOF
# Written by scripts/demo.sh. See \`winnow init\` for every setting with its default.
version: 1
store:
  driver: pglite
  path: db                  # beside this file
  collection: winnow_docs
ingest:
  root: $(node -p 'JSON.stringify(process.argv[1])' "$ROOT")
  include: ["README.md", "ARCHITECTURE.md", "packages/*/README.md"]
embed:
  model: all-MiniLM-L6-v2
  device: $DEVICE
recall:
  mode: hybrid
  k: 30
rerank:
  provider: transformers    # stage 2: the MS MARCO cross-encoder on the best 10 recalled chunks
  model: ms-marco-MiniLM-L-12-v2
  device: $DEVICE
  k: 4
# fusion: the default blends the cross-encoder's z-scores (0.4) with recall's (0.6); see eval/results/scifact
EOF
  log "wrote $CONFIG"
fi

log "indexing the documentation (winnow reindex)"
winnow reindex --config "$CONFIG"
log "asking: $QUESTION"
winnow ask --config "$CONFIG" "$QUESTION"
