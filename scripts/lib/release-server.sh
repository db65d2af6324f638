# Sourced by scripts that need the release build serving the demo organisation: starts
# it on a fresh database of its own (on the cluster DATABASE_URL points at, or else on
# a private cluster) and signs its Governance admin in. Sets base, jar (the admin's
# cookies), db_url and psql; call_as_admin PATH FORM posts a form as the admin; sql
# runs a query on the server's database. Everything stops when the sourcing script
# exits. Needs: bin (the server binary), port, name (the database's name).

[[ -x "$bin" ]] || { echo "No server at $bin: build it first (scripts/build-release.sh)." >&2; exit 2; }
base="http://127.0.0.1:$port"
work=$(mktemp -d)
jar="$work/cookies"
server_pid=""
own_cluster=""
stop_release_server() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [[ -n "$own_cluster" ]] && "$bin" database stop --data-dir "$own_cluster" >/dev/null 2>&1
  rm -rf "$work"
}
trap stop_release_server EXIT

cluster_url="${DATABASE_URL:-}"
if [[ -z "$cluster_url" ]]; then
  own_cluster=".data/$name-postgres"
  "$bin" database stop --data-dir "$own_cluster" >/dev/null 2>&1 || true
  rm -rf "$own_cluster"
  cluster_url=$("$bin" database start --data-dir "$own_cluster")
fi
without_query="${cluster_url%%\?*}"
db_url="${without_query%/*}/$name${cluster_url#"$without_query"}"
psql=$(ls /usr/lib/postgresql/*/bin/psql | sort -V | tail -1)
"$psql" -q "$cluster_url" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name"

DATABASE_URL="$db_url" LEPTOS_SITE_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  "$bin" serve --demo-if-empty >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.5
done

call_as_admin() {
  curl -fsS -b "$jar" -c "$jar" -H "Origin: $base" -H "Accept: application/json" \
    -H "Content-Type: application/x-www-form-urlencoded" --data "$2" "$base$1"
}
sql() { "$psql" -qtAX "$db_url" -c "$1"; }
call_as_admin /api/auth/login "email=admin%40northwind.example&password=gatehouse-demo" >/dev/null
