#!/usr/bin/env bash
# Reproduces eval/results/scifact: every configuration on SciFact test, each beside the published and reference
# figures in eval/references/scifact.json. Hybrid weights and rerank fusion are tuned on the first 150 train queries
# (lexical+rerank-only and lexical+rerank-fused run as written: the cross-encoder's own settings). The bge-small configurations run when that model folder is there
# (WITH_BGE=0 leaves them out; its index takes several times longer to build).
# Extra arguments go to `winnow eval` (e.g. --rerank-cache to reuse cross-encoder scores from an earlier run).
set -euo pipefail
cd "$(dirname "$0")/.."
DATASET=${DATASET:-../shared/datasets/scifact}
MODELS=${WINNOW_MODELS:-../shared/models}
configs=(lexical dense lexical-rerank lexical-rerank-only lexical-rerank-fused dense-rerank hybrid hybrid-rerank)
if [[ ${WITH_BGE:-auto} == 1 || (${WITH_BGE:-auto} == auto && -d $MODELS/bge-small-en-v1.5) ]]; then
  configs+=(bge-dense bge-hybrid bge-hybrid-rerank)
fi
args=()
for c in "${configs[@]}"; do args+=(--config "eval/configs/$c.yaml"); done
node --conditions=source --import ./node_modules/tsx/dist/esm/index.mjs packages/cli/src/bin.ts eval \
  --dataset "$DATASET" --split test "${args[@]}" --references eval/references/scifact.json \
  --baseline dense --tune-split train --tune-queries 150 --untuned lexical+rerank-only --untuned lexical+rerank-fused \
  --out eval/results/scifact --cache-dir .winnow/eval-cache "$@"
