#!/usr/bin/env bash
# `npm run test:pg [-- jest args]`: the whole suite against a throwaway PostgreSQL server.
#
# The server lives in a temporary folder, listens only on a Unix socket inside it (no port
# to collide with anything else on the machine), trusts local connections, and is stopped
# and removed however the tests end. Each test file then creates its own database on it
# (test/helpers/database.ts), so files never see each other's data.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin="${PG_BIN:-}"
if [ -z "$pg_bin" ]; then
  # Newest installed PostgreSQL first; the app needs 13+ (drop database ... with (force)).
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      pg_bin="$dir"
      break
    fi
  done
fi
if [ -z "$pg_bin" ] && command -v initdb >/dev/null 2>&1; then pg_bin="$(dirname "$(command -v initdb)")"; fi
if [ -z "$pg_bin" ]; then
  echo "test:pg needs PostgreSQL's initdb and pg_ctl (Debian: apt-get install postgresql), or PG_BIN set to their folder" >&2
  exit 1
fi

# As root the folder must be reachable by the postgres user, which a private TMPDIR may not be.
if [ "$(id -u)" = "0" ]; then tmp_parent=/tmp; else tmp_parent="${TMPDIR:-/tmp}"; fi
tmp="$(mktemp -d "$tmp_parent/placeready-pg.XXXXXX")"
data="$tmp/data"
socket_dir="$tmp/socket"
mkdir -p "$socket_dir"
as_server() { "$@"; }
stop_server() {
  if [ -f "$data/postmaster.pid" ]; then
    as_server "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
if [ "$(id -u)" = "0" ]; then
  server_user="${PG_SERVER_USER:-postgres}"
  if ! id "$server_user" >/dev/null 2>&1; then
    echo "test:pg runs as root but there is no '$server_user' user to run PostgreSQL as" >&2
    exit 1
  fi
  chown -R "$server_user" "$tmp"
  as_server() { runuser -u "$server_user" -- "$@"; }
fi

as_server "$pg_bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$tmp/initdb.log" 2>&1 || {
  cat "$tmp/initdb.log" >&2
  exit 1
}
# A throwaway server: durability settings off for speed; enough connections for one pool per
# test database plus the admin connections that create and drop them.
as_server "$pg_bin/pg_ctl" -D "$data" -l "$tmp/server.log" -w -t 60 \
  -o "-c listen_addresses='' -k $socket_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || {
  cat "$tmp/server.log" >&2
  exit 1
}

export TEST_DATABASE_URL="postgres://postgres@localhost/postgres?host=$socket_dir"
echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') at $socket_dir"
npx jest "$@"
