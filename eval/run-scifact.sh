#!/usr/bin/env bash
# Reproduces eval/results/scifact: the first stages (lexical, dense and hybrid recall with all-MiniLM-L6-v2 and
# bge-small-en-v1.5) and each of them reranked by ms-marco-MiniLM-L-12-v2 at depths 10 and 20 (and, with
# DEPTH50=1, 50), each beside the reference figures in eval/references/scifact.json. Hybrid weights and rerank fusion
# are tuned on the first 150 train queries (the cross-encoder never saw SciFact); test is reported once.
# The bge-small configurations run when that model folder is there (WITH_BGE=0 leaves them out).
# winnow's defaults (eval/configs/defaults: hybrid recall, the cross-encoder on the best 10, fused at the default
# weight) run as written beside their own first stage, untuned, as a user who changes nothing gets them.
# Extra arguments go to `winnow eval` (e.g. --rerank-cache to reuse cross-encoder scores from an earlier run: with
# one pair per call on CPU, a cached score equals a fresh one).
set -euo pipefail
cd "$(dirname "$0")/.."
DATASET=${DATASET:-../shared/datasets/scifact}
MODELS=${WINNOW_MODELS:-../shared/models}
depths=(10 20)
[[ ${DEPTH50:-0} == 1 ]] && depths+=(50)
stages=(lexical dense hybrid)
if [[ ${WITH_BGE:-auto} == 1 || (${WITH_BGE:-auto} == auto && -d $MODELS/bge-small-en-v1.5) ]]; then
  stages+=(bge-dense bge-hybrid)
fi
args=()
for s in "${stages[@]}"; do
  args+=(--config "eval/configs/$s.yaml")
  for d in "${depths[@]}"; do args+=(--config "eval/configs/$s-rerank-$d.yaml"); done
done
args+=(--config eval/configs/defaults/default-recall.yaml --config eval/configs/defaults/default.yaml
  --untuned "default recall" --untuned default)
node --conditions=source --import ./node_modules/tsx/dist/esm/index.mjs packages/cli/src/bin.ts eval \
  --dataset "$DATASET" --split test "${args[@]}" --references eval/references/scifact.json \
  --baseline hybrid --tune-split train --tune-queries 150 \
  --out eval/results/scifact --cache-dir .winnow/eval-cache "$@"
