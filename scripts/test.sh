#!/usr/bin/env bash
# Runs every test on a fresh machine: dependencies, a PostgreSQL server with pgvector, Chromium, then `pnpm test`.
# Extra arguments go to vitest, e.g. `bash scripts/test.sh packages/core`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh
# setup-postgres.sh prints DATABASE_URL=… on stdout and its progress on stderr.
eval "$(bash scripts/setup-postgres.sh)"
export DATABASE_URL
# Debian's Chromium, for the eval report's browser test.
bash scripts/setup-chromium.sh >/dev/null
# Offline models: WINNOW_MODELS if set, else ../shared/models beside the checkout.
if [ -z "${WINNOW_MODELS:-}" ] && [ -d ../shared/models ]; then
  WINNOW_MODELS="$(cd ../shared/models && pwd)"
fi
export WINNOW_MODELS="${WINNOW_MODELS:-}"
exec pnpm test "$@"
