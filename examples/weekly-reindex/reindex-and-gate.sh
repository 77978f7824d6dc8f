#!/usr/bin/env bash
# Weekly: bring the index in line with the folder, then check that retrieval has not got worse.
#
# The gate scores a fixed question set (a judged BEIR folder, or one written once by `winnow eval --generate`)
# with this week's configuration, models and winnow, against the last accepted run, and exits 7 when a
# configuration's nDCG@10 drops by more than --margin with paired randomisation p < 0.05. `winnow eval` scores its
# own copy of the question set's corpus (cached in $CACHE), so the gate catches changes of settings, models or
# winnow, not of the documents. Accept a new baseline by copying $LATEST over $ACCEPTED.
#
# Exit codes: 0 ok · 2 usage · 3 and 4 from the reindex (3: some files failed, the gate still runs) · 5, 6, 8 · 7 a
# significant drop (the report in $LATEST/report.html shows which queries lost).
set -uo pipefail

WINNOW=${WINNOW:-winnow}                          # word-split on purpose: may be "node …/bin.js"
DOCS=${DOCS:-/srv/docs}                           # holds winnow.config.yaml
QUESTIONS=${QUESTIONS:-/srv/winnow/questions}     # BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv
EVAL_CONFIG=${EVAL_CONFIG:-$DOCS/winnow.config.yaml}
ACCEPTED=${ACCEPTED:-/srv/winnow/eval-accepted}   # the accepted `winnow eval` output (results.json, per-query/)
LATEST=${LATEST:-/srv/winnow/eval-latest}
CACHE=${CACHE:-/srv/winnow/eval-cache}
MARGIN=${MARGIN:-0.01}

cd "$DOCS" || exit 2
$WINNOW reindex --json
code=$?
if [ "$code" -ne 0 ] && [ "$code" -ne 3 ]; then exit "$code"; fi

$WINNOW eval --dataset "$QUESTIONS" --config "$EVAL_CONFIG" \
  --against "$ACCEPTED/results.json" --margin "$MARGIN" --out "$LATEST" --cache-dir "$CACHE"
gate=$?
if [ "$gate" -ne 0 ]; then exit "$gate"; fi
exit "$code"
