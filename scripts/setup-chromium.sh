#!/usr/bin/env bash
# Provide a headless-capable Chromium at /usr/bin/chromium for the eval report's browser test
# (packages/eval/test/report-browser.test.ts drives it with playwright-core).
#
#   bash scripts/setup-chromium.sh
#
# Idempotent: does nothing but check the binary when /usr/bin/chromium is already there; otherwise
# installs Debian's `chromium` package with apt (no recommends). Needs root: CI runs as root; locally it
# re-runs itself under sudo. stdout carries exactly one line, the path of the binary; everything else goes
# to stderr prefixed with "setup-chromium: ".
#
# Env overrides: WINNOW_APT_LOCK_TIMEOUT (seconds to wait for another apt/dpkg run; default 600).
set -euo pipefail

CHROMIUM=/usr/bin/chromium
LOCK_TIMEOUT=${WINNOW_APT_LOCK_TIMEOUT:-600}

# Keep the real stdout on fd 3 for the final path line; apt's chatter goes to stderr.
exec 3>&1 1>&2

log() { printf 'setup-chromium: %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# Prints the browser's version, or fails when the binary is missing or cannot start (e.g. missing libraries).
chromium_version() {
  [[ -x $CHROMIUM ]] || return 1
  "$CHROMIUM" --version 2>/dev/null
}

if version=$(chromium_version); then
  log "$version already installed"
  printf '%s\n' "$CHROMIUM" >&3
  exit 0
fi

# --- root ------------------------------------------------------------------
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 ||
    die "$CHROMIUM is missing and installing it needs root (apt-get), but sudo is not available; re-run as root"
  log "not root; re-running under sudo"
  rc=0
  sudo -- env WINNOW_APT_LOCK_TIMEOUT="$LOCK_TIMEOUT" bash "$(readlink -f "${BASH_SOURCE[0]}")" "$@" >&3 || rc=$?
  [[ $rc -eq 0 ]] || die "run under sudo failed (exit $rc); see messages above, or run as root"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 ||
  die "$CHROMIUM is missing and apt-get is not available (not a Debian/Ubuntu machine?); install Chromium so that $CHROMIUM exists"

export DEBIAN_FRONTEND=noninteractive
# Other setup scripts (e.g. setup-postgres.sh) may hold the apt/dpkg locks at the same time: wait for them.
APT_OPTS=(-q -o "DPkg::Lock::Timeout=$LOCK_TIMEOUT")

log "$CHROMIUM not found; apt-get update"
apt-get "${APT_OPTS[@]}" update || die "apt-get update failed; check network access and /etc/apt/sources.list*"

log "apt-get install chromium"
apt-get "${APT_OPTS[@]}" install -y --no-install-recommends chromium ||
  die "apt-get install chromium failed; see apt output above (Ubuntu ships chromium only as a snap: install a Chromium or Chrome build and link it to $CHROMIUM)"

version=$(chromium_version) ||
  die "installed the chromium package but '$CHROMIUM --version' fails; run it by hand to see why"
log "$version installed"
printf '%s\n' "$CHROMIUM" >&3
