#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster in a temporary folder on a spare port, so tests never
# depend on a machine's state. Prints two logins, as a deployment has: DATABASE_OWNER_URL (the
# owner: creates databases, runs migrations) and DATABASE_URL (lscp_app, the application's own
# login, which may not change the record); `stop <dir>` removes it again.
#   eval "$(scripts/throwaway-postgres.sh start)"   # sets DATABASE_URL, DATABASE_OWNER_URL and PG_THROWAWAY_DIR
#   scripts/throwaway-postgres.sh stop "$PG_THROWAWAY_DIR"
# Outage tests stop and start the server in place (same port and data):
#   scripts/throwaway-postgres.sh pause <dir>     # fast shutdown: clients get 57P01
#   scripts/throwaway-postgres.sh resume <dir>
set -euo pipefail

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
  echo "$dir"
}

# PostgreSQL refuses to run as root; run it as the postgres user the Debian package creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    bin=$(pg_bin)
    dir=$(mktemp -d /tmp/lscp-pg.XXXXXX)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
    options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off"
    echo "$options" > "$dir/options"
    as_pg "$bin/pg_ctl" -D "$dir/data" -o "$options" -l "$dir/log" -w start >/dev/null
    # The application's login: no superuser, no CREATEDB, owns nothing; migrations grant it its rights.
    as_pg "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt \
      -c "CREATE ROLE lscp_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE" >/dev/null
    echo "export PG_THROWAWAY_DIR=$dir"
    echo "export DATABASE_OWNER_URL=postgres://postgres@127.0.0.1:$port/postgres"
    echo "export DATABASE_URL=postgres://lscp_app@127.0.0.1:$port/postgres"
    ;;
  pause)
    dir=${2:?usage: $0 pause <dir>}
    as_pg "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  resume)
    dir=${2:?usage: $0 resume <dir>}
    as_pg "$(pg_bin)/pg_ctl" -D "$dir/data" -o "$(cat "$dir/options")" -l "$dir/log" -w start >/dev/null
    ;;
  stop)
    dir=${2:?usage: $0 stop <dir>}
    as_pg "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | pause <dir> | resume <dir> | stop <dir>" >&2
    exit 2
    ;;
esac
