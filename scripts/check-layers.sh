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

# 1. The rules crate stands alone: no web framework, no database, no runtime.
if cargo tree -p rules -e normal --prefix none 2>/dev/null \
  | grep -E '^(leptos|leptos_[a-z]+|axum|sqlx|sqlx-[a-z]+|tokio|tower-sessions) ' >/dev/null; then
  refuse "the rules crate depends on a web, database or runtime crate: cargo tree -p rules"
fi

# 2. Nothing below api reaches up into it; the database layer knows no use case.
while IFS= read -r hit; do
  refuse "$hit reaches up into api"
done < <(grep -rnE 'crate::api\b' app/src/service app/src/db app/src/caller.rs app/src/model)
while IFS= read -r hit; do
  refuse "$hit: db/ uses a layer above it"
done < <(grep -rnE 'crate::(service|caller)\b' app/src/db)

# 3. api, pages and components go through service for data, never to db.
while IFS= read -r hit; do
  refuse "$hit skips service and reads the database"
done < <(grep -rnE '(crate::db\b|\bdb::)' app/src/api app/src/pages app/src/components app/src/model)

# 4. Queries live in db/: calls that run SQL, and SQL text handed to them.
sql='sqlx::query|query_as\b|query_scalar\b|QueryBuilder|"(SELECT|INSERT INTO|UPDATE|DELETE FROM|WITH) '
#     Files still holding statements are listed here until they move;
#    database.rs administers the database itself (runtime role, migrations).
still_to_move=(
  server/src/demo.rs
)
while IFS= read -r file; do
  case " ${still_to_move[*]} server/src/database.rs " in
    *" $file "*) ;;
    *) refuse "$file holds SQL; queries belong in app/src/db" ;;
  esac
done < <(grep -rlE "$sql" app/src server/src | grep -v '^app/src/db/')
for file in "${still_to_move[@]}"; do
  grep -qE "$sql" "$file" \
    || refuse "$file no longer holds SQL: take it off the list in scripts/check-layers.sh"
done

if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "layers: in order"
