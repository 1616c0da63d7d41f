#!/usr/bin/env bash
# A throw-away PostgreSQL for the tests: its cluster, socket and log live in one directory.
#   bash scripts/postgres.sh start DIR   initdb (once) + pg_ctl start; prints the database URL
#   bash scripts/postgres.sh stop DIR    pg_ctl stop (the directory stays; remove it yourself)
# Needs PostgreSQL's server programs (Debian: postgresql, found in PATH or under
# /usr/lib/postgresql/*/bin). PostgreSQL refuses to run as root: run as root, the cluster belongs
# to the system user `blokpg` (created when missing). It listens on a Unix socket in DIR only,
# no TCP port, and trusts local connections: for tests, never for data.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action="$1"
mkdir -p "$2"
dir="$(cd "$2" && pwd)"

bindir=""
if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
  bindir="$(dirname "$(command -v pg_ctl)")"
else
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/pg_ctl" ] && bindir="$candidate"
  done
fi
if [ -z "$bindir" ]; then
  echo "postgres.sh: PostgreSQL's initdb and pg_ctl are not installed (Debian: postgresql)" >&2
  exit 1
fi

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  id blokpg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin blokpg
  chown blokpg "$dir"
  as_owner=(runuser -u blokpg --)
fi
run() { "${as_owner[@]}" "$@"; }

case "$action" in
  start)
    if [ ! -f "$dir/cluster/PG_VERSION" ]; then
      run "$bindir/initdb" --pgdata="$dir/cluster" --username=blok --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
    fi
    run "$bindir/pg_ctl" --pgdata="$dir/cluster" --log="$dir/postgres.log" --wait --silent \
      --options="-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off" start
    # The URL of the cluster's `postgres` database through the socket in DIR.
    echo "postgresql://blok@/postgres?host=$dir"
    ;;
  stop)
    if [ -f "$dir/cluster/postmaster.pid" ]; then
      run "$bindir/pg_ctl" --pgdata="$dir/cluster" --wait --silent --mode=fast stop
    fi
    ;;
  *) usage ;;
esac
