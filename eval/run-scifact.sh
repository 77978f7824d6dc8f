#!/usr/bin/env bash
# Reproduces eval/results/scifact: every configuration on SciFact test, fusion tuned on 150 train queries.
# WITH_BGE=1 adds bge-small-en-v1.5 (its index takes several times longer to build).
set -euo pipefail
cd "$(dirname "$0")/.."
DATASET=${DATASET:-../shared/datasets/scifact}
node --conditions=source --import ./node_modules/tsx/dist/esm/index.mjs packages/cli/src/bin.ts eval \
  --dataset "$DATASET" --split test \
  --config eval/configs/lexical.yaml --config eval/configs/dense.yaml --config eval/configs/dense-rerank.yaml \
  --config eval/configs/hybrid.yaml --config eval/configs/hybrid-rerank.yaml ${WITH_BGE:+--config eval/configs/bge-dense.yaml} \
  --baseline dense --tune-split train --tune-queries 150 \
  --out eval/results/scifact --cache-dir .winnow/eval-cache --rerank-cache "$@"
