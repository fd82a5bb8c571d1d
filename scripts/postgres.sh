#!/usr/bin/env bash
# Starts a local PostgreSQL for the store tests on the second backend (issue 6), idempotently, on
# Debian 12: installs Debian's `postgresql` if missing, creates and starts its cluster, creates
# the role `eseal` (password $ESEAL_PG_PASSWORD, default `eseal`) and the database `eseal_test`
# owned by it, then prints the line to evaluate:
#
#   eval "$(bash scripts/postgres.sh)"      # exports ESEAL_TEST_PG_URL
#   cargo test -p eseal-platform --lib db:: supervision::
#
# Everything else goes to stderr, so the only stdout is the export line. Runs as root (CI) or as
# a user with sudo. Each test makes its own schema in eseal_test and drops it afterwards.
set -euo pipefail

password="${ESEAL_PG_PASSWORD:-eseal}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
say() { echo "postgres.sh: $*" >&2; }

if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q "install ok installed"; then
  say "installing postgresql"
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >&2
fi

# The newest installed major version (Debian 12: 15).
version="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1 || true)"
[ -n "$version" ] || { say "no PostgreSQL server found under /usr/lib/postgresql"; exit 1; }

# A package installed without its default cluster (e.g. create_main_cluster = false) has none.
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
  say "creating cluster $version/main"
  $sudo pg_createcluster "$version" main >&2
fi

status="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $4 }')"
if [ "$status" != "online" ]; then
  say "starting cluster $version/main"
  # Without systemd (containers, CI) pg_ctlcluster starts the server directly.
  $sudo pg_ctlcluster "$version" main start >&2
fi
port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')"

# Wait until the server accepts connections (start-up recovery can take a moment).
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$port" || { say "server on port $port does not answer"; exit 1; }

# psql as the cluster's superuser over the local socket (peer authentication).
if [ -z "$sudo" ]; then
  as_postgres=(runuser -u postgres --)
else
  as_postgres=(sudo -u postgres)
fi
psql_admin() { (cd / && "${as_postgres[@]}" psql -p "$port" -v ON_ERROR_STOP=1 -qtAX "$@"); }

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'eseal'")" != "1" ]; then
  say "creating role eseal"
  psql_admin -c "CREATE ROLE eseal LOGIN"
fi
# Set every time, so a changed ESEAL_PG_PASSWORD takes effect. The password is passed as a psql
# variable and quoted by psql (:'pw'), never spliced into the SQL by the shell.
psql_admin -v pw="$password" <<'SQL'
ALTER ROLE eseal WITH LOGIN PASSWORD :'pw';
SQL
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'eseal_test'")" != "1" ]; then
  say "creating database eseal_test"
  psql_admin -c "CREATE DATABASE eseal_test OWNER eseal"
fi

url="postgres://eseal:${password}@127.0.0.1:${port}/eseal_test"
# Check the URL really works over TCP with the password (Debian: scram-sha-256 on 127.0.0.1).
PGPASSWORD="$password" psql "postgresql://eseal@127.0.0.1:${port}/eseal_test" -qtAX -c "SELECT 1" >/dev/null
say "ready: $url"
echo "export ESEAL_TEST_PG_URL=$url"
