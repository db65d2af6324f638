//! The accounts the object an operation names touches, for the guard's account check.

use sqlx::PgPool;
use uuid::Uuid;

use rules::console::Touches;
use rules::operations::ActsOn;

/// The accounts of the object `id` names for an operation that acts on `acts_on`, or
/// `None` when the organisation has no such object. Grants, requests and campaigns of
/// no account touch every account; a principal touches the accounts it belongs to.
pub async fn touches(
    pool: &PgPool,
    org_id: Uuid,
    acts_on: ActsOn,
    id: Uuid,
) -> sqlx::Result<Option<Touches>> {
    let one = |sql: &'static str| async move {
        let row: Option<(Option<Uuid>,)> = sqlx::query_as(sql)
            .bind(org_id)
            .bind(id)
            .fetch_optional(pool)
            .await?;
        Ok::<_, sqlx::Error>(row.map(|(account,)| Touches::of(account)))
    };
    match acts_on {
        ActsOn::Principal => {
            let row: Option<(Vec<Uuid>,)> = sqlx::query_as(
                "SELECT ARRAY(SELECT pa.account_id FROM principal_accounts pa \
                               WHERE pa.org_id = p.org_id AND pa.principal_id = p.id) \
                   FROM principals p WHERE p.org_id = $1 AND p.id = $2",
            )
            .bind(org_id)
            .bind(id)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|(accounts,)| Touches::Accounts(accounts)))
        }
        ActsOn::Grant => one("SELECT account_id FROM grants WHERE org_id = $1 AND id = $2").await,
        ActsOn::Request => {
            one("SELECT account_id FROM access_requests WHERE org_id = $1 AND id = $2").await
        }
        ActsOn::Account => one("SELECT id FROM accounts WHERE org_id = $1 AND id = $2").await,
        ActsOn::Subject => {
            one("SELECT account_id FROM data_subjects WHERE org_id = $1 AND id = $2").await
        }
        ActsOn::SubjectRequest => {
            one("SELECT s.account_id FROM data_subject_requests r \
                   JOIN data_subjects s ON s.org_id = r.org_id AND s.id = r.subject_id \
                  WHERE r.org_id = $1 AND r.id = $2")
            .await
        }
        ActsOn::Campaign => {
            // Campaigns started before several accounts could be chosen name one "account".
            let row: Option<(Vec<Uuid>,)> = sqlx::query_as(
                "SELECT CASE WHEN jsonb_typeof(scope->'account') = 'string' \
                             THEN ARRAY[(scope->>'account')::uuid] \
                             ELSE ARRAY(SELECT jsonb_array_elements_text( \
                                  coalesce(scope->'accounts', '[]'::jsonb))::uuid) END \
                   FROM review_campaigns WHERE org_id = $1 AND id = $2",
            )
            .bind(org_id)
            .bind(id)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|(accounts,)| Touches::chosen(accounts)))
        }
        // Nothing an input names belongs to an account here: every account it is.
        ActsOn::Caller | ActsOn::Organisation | ActsOn::Listed | ActsOn::ChosenAccount => {
            Ok(Some(Touches::Every))
        }
    }
}
