#!/usr/bin/env bash
# Reproduces eval/results/adi: winnow's default two-stage configuration, as written, against its own first stage on
# ADI (82 library-science abstracts from the 1960s, 35 queries; nothing like MS MARCO's web questions). Fusion runs at
# the default weight chosen on SciFact train; ADI has no train split and is never tuned on.
set -euo pipefail
cd "$(dirname "$0")/.."
DATASET=${DATASET:-../shared/datasets/adi}
node --conditions=source --import ./node_modules/tsx/dist/esm/index.mjs packages/cli/src/bin.ts eval \
  --dataset "$DATASET" --split test --config eval/configs/defaults/default-recall.yaml \
  --config eval/configs/defaults/default.yaml --baseline "default recall" \
  --out eval/results/adi --cache-dir .winnow/eval-cache "$@"
