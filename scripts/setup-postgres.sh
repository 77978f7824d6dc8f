#!/usr/bin/env bash
# Provide a local PostgreSQL server with pgvector >= 0.8 for winnow's tests.
#
#   eval "$(bash scripts/setup-postgres.sh)" && export DATABASE_URL
#
# Idempotent: reuses a running server, starts a stopped Debian cluster, or
# installs PostgreSQL with apt; installs pgvector (Debian binary package when
# one >= 0.8 exists, else built from Debian trixie's source package); ensures a
# login role + database and the `vector` extension. Safe to re-run; a re-run on
# a prepared machine takes about a second.
#
# stdout carries exactly one line, DATABASE_URL=...; everything else goes to
# stderr prefixed with "setup-postgres: ".
#
# Env overrides: WINNOW_PG_USER (winnow), WINNOW_PG_PASSWORD (winnow),
# WINNOW_PG_DB (winnow_test), WINNOW_DEBIAN_MIRROR (mirror URI used for the
# trixie deb-src line; default: taken from the existing apt sources).
set -euo pipefail

PG_USER=${WINNOW_PG_USER:-winnow}
PG_PASSWORD=${WINNOW_PG_PASSWORD:-winnow}
PG_DB=${WINNOW_PG_DB:-winnow_test}
MIN_VECTOR=0.8.0
SRC_SUITE=trixie # first Debian release whose pgvector is >= 0.8
SRC_LIST=/etc/apt/sources.list.d/winnow-${SRC_SUITE}-src.list

# Keep the real stdout on fd 3 for the final DATABASE_URL line and send all
# other output (ours, apt's, make's) to stderr, so `eval "$(...)"` stays clean.
exec 3>&1 1>&2

log() { printf 'setup-postgres: %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# --- root ------------------------------------------------------------------
# apt, pg_ctlcluster and `make install` need root. CI runs as root; locally,
# re-run ourselves under sudo (passing the overrides explicitly, since sudo
# resets the environment).
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 ||
    die "must run as root (apt-get, pg_ctlcluster, make install) and sudo is not available; re-run as root"
  log "not root; re-running under sudo"
  self=$(readlink -f "${BASH_SOURCE[0]}")
  rc=0
  sudo -- env WINNOW_PG_USER="$PG_USER" WINNOW_PG_PASSWORD="$PG_PASSWORD" \
    WINNOW_PG_DB="$PG_DB" ${WINNOW_DEBIAN_MIRROR:+WINNOW_DEBIAN_MIRROR="$WINNOW_DEBIAN_MIRROR"} \
    bash "$self" "$@" >&3 || rc=$?
  [[ $rc -eq 0 ]] || die "run under sudo failed (exit $rc); see messages above, or run as root"
  exit 0
fi

# --- helpers ---------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0
TMP_DIR=""

cleanup() {
  # The trixie deb-src entry is only needed for `apt-get source`; drop it so
  # later `apt-get update`s on this machine don't keep fetching trixie indexes.
  rm -f "$SRC_LIST"
  if [[ -n $TMP_DIR ]]; then rm -rf "$TMP_DIR"; fi
}
trap cleanup EXIT

apt_update() {
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    apt-get update -q || die "apt-get update failed; check network access and /etc/apt/sources.list*"
    APT_UPDATED=1
  fi
}

is_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

# Installs those of the given packages (name or name=version) that are not
# installed yet; installed ones are left alone so we don't upgrade them (e.g.
# dpkg, or the PostgreSQL server) as a side effect.
apt_install() {
  local p todo=()
  for p in "$@"; do
    is_installed "${p%%=*}" || todo+=("$p")
  done
  [[ ${#todo[@]} -gt 0 ]] || return 0
  apt_update
  log "apt-get install ${todo[*]}"
  apt-get install -y -q --no-install-recommends "${todo[@]}" ||
    die "apt-get install ${todo[*]} failed; see apt output above"
}

version_ge() { dpkg --compare-versions "$1" ge "$2"; }

# psql as the postgres superuser over the Unix socket (peer auth). `cd /`
# avoids "could not change directory" noise when our cwd is not readable.
psql_pg() {
  (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "${PG_PORT:-5432}" "$@")
}

# Sets PG_MAJOR PG_CLUSTER PG_PORT PG_STATUS from pg_lsclusters, preferring an
# online cluster, else the highest installed version. Returns 1 if none.
pick_cluster() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 1
  local line
  line=$(pg_lsclusters -h 2>/dev/null | awk '$4 ~ /^online/ { print; exit }')
  [[ -n $line ]] || line=$(pg_lsclusters -h 2>/dev/null | tail -n 1)
  [[ -n $line ]] || return 1
  read -r PG_MAJOR PG_CLUSTER PG_PORT PG_STATUS _ <<<"$line"
}

# Highest PostgreSQL server major installed under Debian's layout, or empty.
installed_major() {
  local d
  for d in /usr/lib/postgresql/*/bin/postgres; do
    if [[ -x $d ]]; then basename "$(dirname "$(dirname "$d")")"; fi
  done | sort -n | tail -n 1
}

# Runs pg_ctlcluster ACTION with no inherited pipes: the server it leaves
# running would otherwise hold fd 3 (the caller's `$(...)` pipe) and the
# caller's stderr open forever, and `eval "$(bash setup-postgres.sh)"` would
# never return. Its own messages are shown afterwards instead.
pg_ctl_detached() {
  local action=$1 out rc=0
  out=$(mktemp)
  (
    # Close every inherited descriptor above stderr, not just fd 3.
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if [[ $fd -gt 2 ]]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec pg_ctlcluster "$PG_MAJOR" "$PG_CLUSTER" "$action" </dev/null >"$out" 2>&1
  ) || rc=$?
  sed 's/^/setup-postgres: pg_ctlcluster: /' "$out" >&2
  rm -f "$out"
  return "$rc"
}

start_cluster() {
  log "starting cluster $PG_MAJOR/$PG_CLUSTER (port $PG_PORT)"
  if ! pg_ctl_detached start; then
    tail -n 20 "/var/log/postgresql/postgresql-$PG_MAJOR-$PG_CLUSTER.log" >&2 2>/dev/null || true
    die "pg_ctlcluster $PG_MAJOR $PG_CLUSTER start failed; see the log above"
  fi
}

wait_ready() {
  local i
  for i in $(seq 1 30); do
    if psql_pg -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  die "PostgreSQL on port $PG_PORT did not accept connections as the postgres user within 30 s"
}

# --- 1-3: a running server -------------------------------------------------
ensure_server() {
  PG_MAJOR="" PG_CLUSTER="" PG_PORT="" PG_STATUS=""
  if pick_cluster && [[ $PG_STATUS == online* ]]; then
    log "using running cluster $PG_MAJOR/$PG_CLUSTER on port $PG_PORT"
    wait_ready
    return
  fi

  # A server not managed by pg_lsclusters but reachable as postgres on the
  # default socket: use it as is.
  if [[ -z $PG_MAJOR ]] && command -v psql >/dev/null 2>&1 && id postgres >/dev/null 2>&1; then
    local info
    if info=$(psql_pg -d postgres -Atc \
      "SELECT current_setting('server_version_num')::int / 10000, current_setting('port')" 2>/dev/null); then
      IFS='|' read -r PG_MAJOR PG_PORT <<<"$info"
      log "using running PostgreSQL $PG_MAJOR on port $PG_PORT (not managed by pg_lsclusters)"
      return
    fi
  fi

  if [[ -z $PG_MAJOR ]]; then
    local major
    major=$(installed_major)
    if [[ -z $major ]]; then
      log "PostgreSQL is not installed; installing it"
      apt_install postgresql postgresql-contrib
      major=$(installed_major)
      [[ -n $major ]] || die "installed the postgresql package but found no server under /usr/lib/postgresql"
    fi
    # Debian's postinst normally creates the "main" cluster; create it if it
    # did not (e.g. create_main_cluster = false).
    if ! pick_cluster; then
      log "creating cluster $major/main"
      pg_createcluster "$major" main || die "pg_createcluster $major main failed"
      pick_cluster || die "pg_createcluster succeeded but pg_lsclusters shows no cluster"
    fi
    if [[ $PG_STATUS == online* ]]; then
      wait_ready
      return
    fi
  fi

  start_cluster
  wait_ready
}

# --- 4: pgvector -----------------------------------------------------------
vector_available() {
  psql_pg -d postgres -Atc "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'"
}

# Prints "URI<TAB>SIGNED-BY" of the first enabled binary Debian archive entry
# (suite = a Debian codename/alias, not -security; component main) found in
# the apt sources, in apt's own reading order. Handles one-line .list files and
# deb822 .sources files. Returns 1 if none found.
debian_mirror() {
  local suite_re='^(oldstable|stable|testing|unstable|sid|experimental|buster|bullseye|bookworm|trixie|forky|duke)(-updates|-backports|-proposed-updates)?$'
  local files=() f
  [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*; do
    [[ -f $f && $f != "$SRC_LIST" && ($f == *.list || $f == *.sources) ]] && files+=("$f")
  done

  local signed_re='signed-by=([^][:space:]]+)'
  local type rest opts uri suite comps signed
  for f in "${files[@]}"; do
    if [[ $f == *.list ]]; then
      # deb [opt=val ...] URI suite component...
      while read -r type rest; do
        [[ $type == deb ]] || continue
        opts=""
        if [[ $rest == \[* ]]; then
          opts=${rest%%]*}
          rest=${rest#*]}
        fi
        read -r uri suite comps <<<"$rest"
        [[ $suite =~ $suite_re && " $comps " == *" main "* ]] || continue
        signed=""
        [[ $opts =~ $signed_re ]] && signed=${BASH_REMATCH[1]}
        printf '%s\t%s\n' "${uri%/}" "$signed"
        return 0
      done < <(grep -v '^[[:space:]]*#' "$f")
    else
      # deb822: blank-line separated stanzas of "Field: value" lines.
      local -A st=()
      local line key val u s words
      while :; do
        line=""
        if ! IFS= read -r line && [[ -z $line ]]; then line="__EOF__"; fi
        if [[ -z ${line//[[:space:]]/} || $line == __EOF__ ]]; then
          if [[ " ${st[types]:-} " == *" deb "* && ${st[enabled]:-yes} != no &&
            " ${st[components]:-} " == *" main "* ]]; then
            signed=${st[signed-by]:-}
            [[ $signed == /* ]] || signed="" # inline key blocks: don't copy
            for u in ${st[uris]:-}; do
              for s in ${st[suites]:-}; do
                if [[ $s =~ $suite_re ]]; then
                  printf '%s\t%s\n' "${u%/}" "$signed"
                  return 0
                fi
              done
            done
          fi
          st=()
          [[ $line == __EOF__ ]] && break
          continue
        fi
        [[ $line == \#* || $line == [[:space:]]* ]] && continue # comment / continuation
        key=${line%%:*}
        val=${line#*:}
        key=${key,,}
        read -r -a words <<<"$val" # trim + squeeze whitespace
        st[$key]=${words[*]}
      done <"$f"
    fi
  done
  return 1
}

# Build pgvector from Debian's trixie source package. Only a deb-src entry is
# added, so no trixie binary package can be installed by it; the entry is
# removed again on exit (see cleanup).
build_pgvector() {
  local mirror signed pg_config srcdir
  if [[ -n ${WINNOW_DEBIAN_MIRROR:-} ]]; then
    mirror=${WINNOW_DEBIAN_MIRROR%/} signed=""
  else
    IFS=$'\t' read -r mirror signed < <(debian_mirror) ||
      die "no Debian archive entry (deb URI <debian-suite> main) found in /etc/apt/sources.list*; set WINNOW_DEBIAN_MIRROR=<debian mirror URI> or install pgvector >= $MIN_VECTOR manually"
  fi
  log "building pgvector from ${SRC_SUITE} source, mirror $mirror"

  # Prefer headers of the exact installed server version: a newer
  # postgresql-server-dev would drag in a server package upgrade.
  local dev=postgresql-server-dev-$PG_MAJOR srv_ver
  srv_ver=$(dpkg-query -W -f='${Version}' "postgresql-$PG_MAJOR" 2>/dev/null || true)
  if [[ -n $srv_ver ]] && apt-cache madison "$dev" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | grep -xF -- "$srv_ver" >/dev/null; then
    dev+="=$srv_ver"
  fi
  apt_install "$dev" build-essential dpkg-dev
  pg_config=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
  [[ -x $pg_config ]] || die "$pg_config missing after installing postgresql-server-dev-$PG_MAJOR"

  printf 'deb-src %s%s %s main\n' "${signed:+[signed-by=$signed] }" "$mirror" "$SRC_SUITE" >"$SRC_LIST"
  # Refresh just this entry (others were updated above; keep their lists).
  log "apt-get update (only $SRC_LIST)"
  apt-get update -q -o Dir::Etc::sourcelist="$SRC_LIST" -o Dir::Etc::sourceparts=- \
    -o APT::Get::List-Cleanup=0 ||
    die "apt-get update for '$(cat "$SRC_LIST")' failed; check that the mirror serves $SRC_SUITE (or set WINNOW_DEBIAN_MIRROR)"

  TMP_DIR=$(mktemp -d)
  # As root, apt wants to download as the _apt user, which can't write into our
  # 0700 temp dir; download as root instead (integrity is still checked
  # against the signed Sources index).
  (cd "$TMP_DIR" && apt-get source -q -o APT::Sandbox::User=root "pgvector/$SRC_SUITE") ||
    die "apt-get source pgvector/$SRC_SUITE failed"
  srcdir=$(find "$TMP_DIR" -mindepth 1 -maxdepth 1 -type d -name 'pgvector-*' | head -n 1)
  [[ -n $srcdir ]] || die "apt-get source did not unpack a pgvector-* directory"

  # OPTFLAGS= drops pgvector's default -march=native so the build also runs on
  # other CPUs (e.g. if this machine image is reused); Debian builds it so too.
  log "make (in $srcdir)"
  make -C "$srcdir" -j"$(nproc)" PG_CONFIG="$pg_config" OPTFLAGS= ||
    die "building pgvector failed; see compiler output above"
  make -C "$srcdir" PG_CONFIG="$pg_config" OPTFLAGS= install ||
    die "make install of pgvector failed"
}

ensure_pgvector() {
  local have cand
  have=$(vector_available)
  if [[ -n $have ]] && version_ge "$have" "$MIN_VECTOR"; then
    log "pgvector $have available"
    return
  fi
  log "pgvector ${have:-not installed} for PostgreSQL $PG_MAJOR; need >= $MIN_VECTOR"

  apt_update
  cand=$(apt-cache policy "postgresql-$PG_MAJOR-pgvector" 2>/dev/null | awk '/Candidate:/ { print $2 }')
  if [[ -n $cand && $cand != "(none)" ]] && version_ge "${cand#*:}" "$MIN_VECTOR"; then
    apt_install "postgresql-$PG_MAJOR-pgvector"
  else
    log "no postgresql-$PG_MAJOR-pgvector >= $MIN_VECTOR in apt (candidate: ${cand:-none})"
    build_pgvector
  fi

  have=$(vector_available)
  [[ -n $have ]] || die "pgvector was installed but PostgreSQL $PG_MAJOR does not list the vector extension"
  version_ge "$have" "$MIN_VECTOR" || die "pgvector $have is installed but >= $MIN_VECTOR is required"
  log "pgvector $have installed"
}

# --- 5: TCP, role, database, extension --------------------------------------
ensure_listen_localhost() {
  local la
  la=$(psql_pg -d postgres -Atc 'SHOW listen_addresses')
  case ",${la// /}," in
    *,localhost,* | *,127.0.0.1,* | *,\*,* | *,0.0.0.0,*) return ;;
  esac
  [[ -n $PG_CLUSTER ]] ||
    die "server listens on '$la' only and is not managed by pg_ctlcluster; set listen_addresses to include localhost and restart it"
  log "listen_addresses='$la'; adding localhost and restarting"
  psql_pg -d postgres -c "ALTER SYSTEM SET listen_addresses = '${la:+$la,}localhost'"
  pg_ctl_detached restart || die "restarting cluster $PG_MAJOR/$PG_CLUSTER failed"
  wait_ready
}

ensure_role_db_extension() {
  # The role is a throwaway test role: SUPERUSER lets it CREATE EXTENSION
  # vector (and drop/create databases) without further grants. The password is
  # re-set on every run so WINNOW_PG_PASSWORD changes take effect.
  psql_pg -d postgres -v u="$PG_USER" -v pw="$PG_PASSWORD" -v db="$PG_DB" <<'SQL'
SELECT format('CREATE ROLE %I', :'u')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
ALTER ROLE :"u" WITH LOGIN SUPERUSER CREATEDB PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'u')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"u";
SQL
  psql_pg -d "$PG_DB" -c 'SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS vector'

  local ext
  ext=$(psql_pg -d "$PG_DB" -Atc "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
  if ! version_ge "$ext" "$MIN_VECTOR"; then
    # Created earlier from an older pgvector: upgrade to the installed one.
    log "vector extension in $PG_DB is $ext; ALTER EXTENSION vector UPDATE"
    psql_pg -d "$PG_DB" -c 'ALTER EXTENSION vector UPDATE'
    ext=$(psql_pg -d "$PG_DB" -Atc "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
  fi
  version_ge "$ext" "$MIN_VECTOR" || die "vector extension in $PG_DB is $ext; >= $MIN_VECTOR required"
  log "database $PG_DB: vector $ext"
}

tcp_login() {
  PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -h 127.0.0.1 -p "$PG_PORT" \
    -U "$PG_USER" -d "$PG_DB" -Atc 'SELECT 1' >/dev/null
}

# Check password login over TCP for real; only if it fails, put an explicit
# scram rule for our role at the top of pg_hba.conf (Debian's default already
# allows it).
ensure_tcp_password_auth() {
  tcp_login 2>/dev/null && return
  local hba rule="host \"$PG_DB\" \"$PG_USER\" 127.0.0.1/32 scram-sha-256 # winnow setup-postgres"
  hba=$(psql_pg -d postgres -Atc 'SHOW hba_file')
  if ! grep -qxF -- "$rule" "$hba"; then
    log "password login over TCP failed; adding a rule for $PG_USER to $hba"
    sed -i "1i $rule" "$hba"
    psql_pg -d postgres -Atc 'SELECT pg_reload_conf()' >/dev/null
  fi
  tcp_login || die "cannot log in as $PG_USER to $PG_DB on 127.0.0.1:$PG_PORT with a password; check $hba"
}

# Percent-encode for the URL so it is also safe to eval.
urlencode() {
  local LC_ALL=C s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [a-zA-Z0-9._~-]) out+=$c ;;
      *) printf -v c '%%%02X' "'$c" && out+=$c ;;
    esac
  done
  printf '%s' "$out"
}

# --- main ------------------------------------------------------------------
ensure_server
ensure_pgvector
ensure_listen_localhost
ensure_role_db_extension
ensure_tcp_password_auth

printf 'DATABASE_URL=postgres://%s:%s@127.0.0.1:%s/%s\n' \
  "$(urlencode "$PG_USER")" "$(urlencode "$PG_PASSWORD")" "$PG_PORT" "$(urlencode "$PG_DB")" >&3
