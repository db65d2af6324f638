#!/usr/bin/env bash
# The layers the code may not cross (drawn in the README, "How it is built"):
#   pages, components → api → service → caller, db → rules
# Fails, naming the file and line, when an import or a query appears where it must not.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=0
refuse() {
  echo "layers: $1" >&2
  failed=1
}

# 1. The rules crate stands alone: its direct dependencies are the ones listed here, and
#    nothing beneath them is a web framework, a database driver or a runtime.
allowed_direct="chrono chrono-tz hex hmac serde serde_json sha2 thiserror uuid"
if ! tree=$(cargo tree -p rules -e normal --prefix depth 2>&1); then
  refuse "cargo tree -p rules failed: $tree"
fi
for dep in $(printf '%s\n' "$tree" | sed -n 's/^1\([A-Za-z0-9_-]*\) .*/\1/p' | sort -u); do
  case " $allowed_direct " in
    *" $dep "*) ;;
    *) refuse "the rules crate depends on $dep; it may use only: $allowed_direct" ;;
  esac
done
if printf '%s\n' "$tree" \
  | grep -E '^[0-9]+(leptos|leptos_[a-z_]+|server_fn|reactive_graph|axum|axum-core|sqlx|sqlx-[a-z]+|tokio|hyper|tower|tower-sessions|reqwest|http|web-sys|wasm-bindgen) ' >/dev/null; then
  refuse "the rules crate reaches a web, database or runtime crate: cargo tree -p rules"
fi

# 2. Nothing below api reaches up into it; the database layer knows no use case.
while IFS= read -r hit; do
  refuse "$hit reaches up into api"
done < <(grep -rnE 'crate::(\{[^}]*)?\bapi\b' app/src/service app/src/db app/src/caller.rs app/src/model)
while IFS= read -r hit; do
  refuse "$hit: db/ uses a layer above it"
done < <(grep -rnE 'crate::(\{[^}]*)?\b(service|caller|pages|components)\b' app/src/db)

# 3. api, pages and components go through service for data, never to db.
while IFS= read -r hit; do
  refuse "$hit skips service and reads the database"
done < <(grep -rnE '(crate::db\b|\bdb::)' app/src/api app/src/pages app/src/components app/src/model)

# 4. Queries live in db/: calls that run SQL, and SQL text handed to them.
sql='sqlx::(query|raw_sql)|query_as\b|query_scalar\b|QueryBuilder|"(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH|TRUNCATE|LOCK|MERGE) '
#    database.rs administers the database itself (its runtime role, migrations).
while IFS= read -r file; do
  [ "$file" = server/src/database.rs ] || refuse "$file holds SQL; queries belong in app/src/db"
done < <(grep -rlE "$sql" app/src server/src | grep -v '^app/src/db/')

if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "layers: in order"
