use chrono::NaiveDate;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::audit::{action_columns, Actor};
use super::Tx;
use crate::model::reviews::{CampaignRow, Choice, ReviewItemRow, ReviewerProgress};
use rules::audit::AuditAction;

/// Open first (soonest due), then the most recently closed.
const CAMPAIGN_ORDER: &str = "c.closed_at IS NOT NULL, c.closed_at DESC, c.due_on, c.name, c.id";

/// A page of the campaigns the caller may see: all of them (`all`), or those with items
/// for them; `limit` from `offset`. The figures are the reviewers' tallies, which the
/// database keeps with the items.
pub async fn campaigns(
    pool: &PgPool,
    org_id: Uuid,
    (caller, all): (Uuid, bool),
    (limit, offset): (i64, i64),
) -> sqlx::Result<Vec<CampaignRow>> {
    sqlx::query_as::<_, CampaignRow>(&format!(
        "WITH c AS ( \
           SELECT c.* FROM review_campaigns c \
           WHERE c.org_id = $1 AND ($3 OR EXISTS ( \
             SELECT 1 FROM review_tallies x WHERE x.org_id = c.org_id AND x.campaign_id = c.id \
               AND x.reviewer_id = $2 AND x.items > 0)) \
           ORDER BY {CAMPAIGN_ORDER} LIMIT $4 OFFSET $5) \
         SELECT c.id, c.name, c.due_on, c.undecided::text AS undecided, \
                cb.display_name AS created_by, c.created_at, c.closed_at, \
                n.items, n.decided, n.to_revoke, n.mine, n.mine_decided \
         FROM c \
         LEFT JOIN principals cb ON cb.org_id = c.org_id AND cb.id = c.created_by \
         CROSS JOIN LATERAL ( \
           SELECT coalesce(sum(t.items), 0)::bigint AS items, coalesce(sum(t.decided), 0)::bigint AS decided, \
                  coalesce(sum(t.to_revoke), 0)::bigint AS to_revoke, \
                  coalesce(sum(t.items) FILTER (WHERE t.reviewer_id = $2), 0)::bigint AS mine, \
                  coalesce(sum(t.decided) FILTER (WHERE t.reviewer_id = $2), 0)::bigint AS mine_decided \
           FROM review_tallies t WHERE t.org_id = c.org_id AND t.campaign_id = c.id) n \
         ORDER BY {CAMPAIGN_ORDER}"
    ))
    .bind(org_id)
    .bind(caller)
    .bind(all)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

/// One campaign and its scope, without its counts (the caller sums them from
/// [`progress`]).
pub async fn campaign(
    pool: &PgPool,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<(CampaignRow, Value)>> {
    #[derive(sqlx::FromRow)]
    struct Header {
        #[sqlx(flatten)]
        row: CampaignRow,
        scope: Value,
    }
    let header = sqlx::query_as::<_, Header>(
        "SELECT c.id, c.name, c.due_on, c.undecided::text AS undecided, cb.display_name AS created_by, \
                c.created_at, c.closed_at, 0::bigint AS items, 0::bigint AS decided, 0::bigint AS to_revoke, \
                0::bigint AS mine, 0::bigint AS mine_decided, c.scope \
         FROM review_campaigns c \
         LEFT JOIN principals cb ON cb.org_id = c.org_id AND cb.id = c.created_by \
         WHERE c.org_id = $1 AND c.id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(header.map(|h| (h.row, h.scope)))
}

/// The lists a campaign's form and page choose from or name things by.
#[derive(Debug, Clone, Copy)]
pub enum ChoiceList {
    Applications,
    Accounts,
    /// Every role, named with its application.
    Roles,
    /// Active people who sign in to the console: the possible reviewers.
    ConsoleUsers,
    /// Applications, accounts and roles together, to name a campaign's scope.
    ScopeNames,
}

pub async fn choices(pool: &PgPool, org_id: Uuid, list: ChoiceList) -> sqlx::Result<Vec<Choice>> {
    let sql = match list {
        ChoiceList::Applications => {
            "SELECT id, name FROM applications WHERE org_id = $1 ORDER BY is_console, name"
        }
        ChoiceList::Accounts => "SELECT id, name FROM accounts WHERE org_id = $1 ORDER BY name",
        ChoiceList::Roles => {
            "SELECT r.id, a.name || ' \u{b7} ' || r.name FROM roles r \
             JOIN applications a ON a.org_id = r.org_id AND a.id = r.application_id \
             WHERE r.org_id = $1 ORDER BY a.is_console, a.name, r.name"
        }
        ChoiceList::ConsoleUsers => {
            "SELECT p.id, p.display_name FROM principals p \
             JOIN console_credentials c ON c.org_id = p.org_id AND c.principal_id = p.id \
             WHERE p.org_id = $1 AND p.status = 'active' ORDER BY p.display_name"
        }
        ChoiceList::ScopeNames => {
            "SELECT id, name FROM applications WHERE org_id = $1 UNION ALL SELECT id, name FROM accounts WHERE org_id = $1 \
             UNION ALL SELECT id, name FROM roles WHERE org_id = $1"
        }
    };
    let rows: Vec<(Uuid, String)> = sqlx::query_as(sql).bind(org_id).fetch_all(pool).await?;
    Ok(rows
        .into_iter()
        .map(|(id, name)| Choice { id, name })
        .collect())
}

/// What a campaign covers; empty lists and `None` mean "any".
pub struct Scope<'a> {
    pub application: Option<Uuid>,
    /// Accounts (none: every account); grants on every account are always in scope.
    pub accounts: &'a [Uuid],
    /// Roles (none: every role and permission set).
    pub roles: &'a [Uuid],
    pub kinds: &'a [String],
    pub principals: &'a [Uuid],
}

pub struct NewCampaign<'a> {
    pub name: &'a str,
    pub scope: Scope<'a>,
    pub scope_json: Value,
    /// Empty: each principal's manager or owner; otherwise these people.
    pub reviewers: &'a [Uuid],
    pub due_on: NaiveDate,
    pub undecided: &'a str,
    pub created_by: Uuid,
}

/// Creates the campaign and freezes its items: every grant in force now within the
/// scope, each given its reviewer. Answers (id, items); None when the name is taken.
pub async fn insert(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    c: &NewCampaign<'_>,
) -> sqlx::Result<Option<(Uuid, i64)>> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO review_campaigns (org_id, id, name, scope, reviewer_rule, due_on, undecided, created_by) \
         VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, $6::review_decision, $7) \
         ON CONFLICT (org_id, name) DO NOTHING RETURNING id",
    )
    .bind(org_id)
    .bind(c.name)
    .bind(&c.scope_json)
    .bind(if c.reviewers.is_empty() { "managers" } else { "named" })
    .bind(c.due_on)
    .bind(c.undecided)
    .bind(c.created_by)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(id) = id else { return Ok(None) };
    // A named reviewer never gets their own grants while another is named; with
    // managers, the creator takes principals who answer to nobody.
    let items = sqlx::query(
        "WITH scoped AS ( \
           SELECT g.org_id, g.id, g.principal_id, p.manager_id, p.owner_id, p.display_name, \
                  coalesce(r.name, ps.name) AS bundle, \
                  mod(abs(hashtext(g.principal_id::text)::bigint), greatest(cardinality($4::uuid[]), 1))::int AS h \
           FROM grants g \
           JOIN principals p ON p.org_id = g.org_id AND p.id = g.principal_id \
           LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
           LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
           WHERE g.org_id = $1 AND g.revoked_at IS NULL AND g.valid_from <= now() \
             AND (g.valid_until IS NULL OR g.valid_until > now()) AND p.status <> 'offboarded' \
             AND ($5::uuid IS NULL OR coalesce(r.application_id, ps.application_id) = $5) \
             AND (cardinality($6::uuid[]) = 0 OR g.account_id = ANY($6) OR g.account_id IS NULL) \
             AND (cardinality($9::uuid[]) = 0 OR g.role_id = ANY($9)) \
             AND (cardinality($7::text[]) = 0 OR p.kind::text = ANY($7)) \
             AND (cardinality($8::uuid[]) = 0 OR g.principal_id = ANY($8))) \
         INSERT INTO review_items (org_id, campaign_id, grant_id, principal_id, principal_label, bundle_label, \
                                   reviewer_id) \
         SELECT org_id, $2, id, principal_id, display_name, bundle, \
                CASE WHEN cardinality($4) = 0 THEN coalesce(manager_id, owner_id, $3) \
                     WHEN ($4)[1 + h] <> principal_id THEN ($4)[1 + h] \
                     WHEN cardinality($4) > 1 THEN ($4)[1 + (h + 1) % cardinality($4)] \
                     ELSE $3 END \
         FROM scoped",
    )
    .bind(org_id)
    .bind(id)
    .bind(c.created_by)
    .bind(c.reviewers)
    .bind(c.scope.application)
    .bind(c.scope.accounts)
    .bind(c.scope.kinds)
    .bind(c.scope.principals)
    .bind(c.scope.roles)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(Some((id, items as i64)))
}

/// Each reviewer's figures in a campaign, from the tallies kept with its items.
pub async fn progress(
    pool: &PgPool,
    org_id: Uuid,
    campaign: Uuid,
) -> sqlx::Result<Vec<ReviewerProgress>> {
    sqlx::query_as::<_, ReviewerProgress>(
        "SELECT x.reviewer_id, rv.display_name AS reviewer, x.items, x.decided, x.to_revoke \
         FROM review_tallies x JOIN principals rv ON rv.org_id = x.org_id AND rv.id = x.reviewer_id \
         WHERE x.org_id = $1 AND x.campaign_id = $2 AND x.items > 0 ORDER BY rv.display_name",
    )
    .bind(org_id)
    .bind(campaign)
    .fetch_all(pool)
    .await
}

/// A page of items in list order (principal, then role or set); only `reviewer`'s when given.
pub async fn items(
    pool: &PgPool,
    org_id: Uuid,
    campaign: Uuid,
    reviewer: Option<Uuid>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ReviewItemRow>> {
    // The page's items are chosen first, then described one by one in that order. As
    // one statement, the plan PostgreSQL could keep (for any limit and offset) looked
    // far costlier than one made for the call's own, so it planned the nine joins again
    // on every call (12 ms of 19). The choice is planned for each call (it is quick to
    // plan), and each item is looked up by its key (the `OFFSET 0` keeps it a lookup):
    // a campaign just started has no statistics yet, and plans made from none read all
    // of its items (40 to 80 ms).
    let page: Vec<Uuid> = sqlx::query_scalar(
        "SELECT grant_id FROM review_items \
         WHERE org_id = $1 AND campaign_id = $2 AND ($3::uuid IS NULL OR reviewer_id = $3) \
         ORDER BY principal_label, bundle_label, grant_id LIMIT $4 OFFSET $5",
    )
    .bind(org_id)
    .bind(campaign)
    .bind(reviewer)
    .bind(limit)
    .bind(offset)
    .persistent(false)
    .fetch_all(pool)
    .await?;
    if page.is_empty() {
        return Ok(vec![]);
    }
    sqlx::query_as::<_, ReviewItemRow>(
        "SELECT i.grant_id, i.principal_id, i.principal_label AS principal, p.kind::text AS principal_kind, \
                i.bundle_label AS bundle, ap.name AS application, ac.name AS account, g.valid_until, \
                g.conditions, p.last_activity_at, \
                (SELECT max(u.last_used_at) FROM permission_usage u \
                 WHERE u.org_id = g.org_id AND u.principal_id = g.principal_id \
                   AND (g.account_id IS NULL OR u.account_id = g.account_id) \
                   AND u.permission_id IN ( \
                     SELECT rp.permission_id FROM role_permissions rp WHERE rp.org_id = g.org_id AND rp.role_id = g.role_id \
                     UNION ALL \
                     SELECT pp.permission_id FROM permission_set_permissions pp \
                     WHERE pp.org_id = g.org_id AND pp.permission_set_id = g.permission_set_id)) AS last_used_at, \
                i.reviewer_id, rv.display_name AS reviewer, i.decision::text AS decision, i.reason, \
                db.display_name AS decided_by, i.outcome \
         FROM unnest($3::uuid[]) WITH ORDINALITY AS page(grant_id, ord) \
         CROSS JOIN LATERAL (SELECT * FROM review_items i \
           WHERE i.org_id = $1 AND i.campaign_id = $2 AND i.grant_id = page.grant_id OFFSET 0) i \
         JOIN grants g ON g.org_id = i.org_id AND g.id = i.grant_id \
         JOIN principals p ON p.org_id = i.org_id AND p.id = i.principal_id \
         JOIN principals rv ON rv.org_id = i.org_id AND rv.id = i.reviewer_id \
         LEFT JOIN principals db ON db.org_id = i.org_id AND db.id = i.decided_by \
         LEFT JOIN roles r ON r.org_id = g.org_id AND r.id = g.role_id \
         LEFT JOIN permission_sets ps ON ps.org_id = g.org_id AND ps.id = g.permission_set_id \
         JOIN applications ap ON ap.org_id = g.org_id AND ap.id = coalesce(r.application_id, ps.application_id) \
         LEFT JOIN accounts ac ON ac.org_id = g.org_id AND ac.id = g.account_id \
         ORDER BY page.ord",
    )
    .bind(org_id)
    .bind(campaign)
    .bind(&page)
    .fetch_all(pool)
    .await
}

/// Records `decision` on the caller's undecided or decided items of an open campaign
/// (never on their own grants), each with an audit event; answers how many.
pub async fn decide(
    tx: &mut Tx<'_>,
    actor: &Actor,
    reviewer: Uuid,
    campaign: Uuid,
    grants: &[Uuid],
    decision: &str,
    reason: Option<&str>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
&format!(
        "WITH decided AS ( \
           UPDATE review_items i SET decision = $5::review_decision, reason = $6, decided_by = $3, decided_at = now() \
           FROM review_campaigns c \
           WHERE i.org_id = $1 AND i.campaign_id = $2 AND i.grant_id = ANY($4) AND i.reviewer_id = $3 \
             AND i.principal_id <> $3 AND c.org_id = i.org_id AND c.id = i.campaign_id AND c.closed_at IS NULL \
           RETURNING i.grant_id, i.principal_id, c.name AS campaign), \
         audited AS ( \
           INSERT INTO audit_events (org_id, actor_principal_id, actor_label, action, target_type, target_id, \
                                     target_label, after, reason, source_ip, user_agent) \
           SELECT $1, $3, $7, {decided}, d.grant_id::text, \
                  p.display_name || ' \u{2192} ' || coalesce(r.name, ps.name), \
                  jsonb_build_object('campaign', d.campaign, 'decision', $5), $6, $8::inet, $9 \
           FROM decided d \
           JOIN grants g ON g.org_id = $1 AND g.id = d.grant_id \
           JOIN principals p ON p.org_id = $1 AND p.id = d.principal_id \
           LEFT JOIN roles r ON r.org_id = $1 AND r.id = g.role_id \
           LEFT JOIN permission_sets ps ON ps.org_id = $1 AND ps.id = g.permission_set_id \
           RETURNING 1) \
         SELECT count(*) FROM audited",
        decided = action_columns(AuditAction::ReviewDecided)
    ))
    .bind(actor.org_id)
    .bind(campaign)
    .bind(reviewer)
    .bind(grants)
    .bind(decision)
    .bind(reason)
    .bind(&actor.label)
    .bind(actor.source_ip.as_deref())
    .bind(actor.user_agent.as_deref())
    .fetch_one(&mut **tx)
    .await
}

/// The campaign, locked for closing: (name, whether it is a mover's, whether it is closed).
pub async fn open_for_update(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<(String, bool, bool)>> {
    sqlx::query_as(
        "SELECT name, mover_id IS NOT NULL, closed_at IS NOT NULL FROM review_campaigns \
         WHERE org_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await
}

/// Each item's final decision (its own, or the campaign's rule), whether its grant is
/// still in force, and the reviewer's reason; the grants are locked.
pub async fn closing_items(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    campaign: Uuid,
) -> sqlx::Result<Vec<(Uuid, String, bool, Option<String>)>> {
    sqlx::query_as(
        "SELECT i.grant_id, coalesce(i.decision, c.undecided)::text, \
                g.revoked_at IS NULL AND (g.valid_until IS NULL OR g.valid_until > now()), i.reason \
         FROM review_items i \
         JOIN review_campaigns c ON c.org_id = i.org_id AND c.id = i.campaign_id \
         JOIN grants g ON g.org_id = i.org_id AND g.id = i.grant_id \
         WHERE i.org_id = $1 AND i.campaign_id = $2 ORDER BY i.grant_id FOR UPDATE OF g",
    )
    .bind(org_id)
    .bind(campaign)
    .fetch_all(&mut **tx)
    .await
}

/// Records what closing did to each item and closes the campaign.
pub async fn close(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    campaign: Uuid,
    closed_by: Option<Uuid>,
    grants: &[Uuid],
    outcomes: &[&str],
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE review_items i SET outcome = o.outcome \
         FROM unnest($3::uuid[], $4::text[]) AS o(grant_id, outcome) \
         WHERE i.org_id = $1 AND i.campaign_id = $2 AND i.grant_id = o.grant_id",
    )
    .bind(org_id)
    .bind(campaign)
    .bind(grants)
    .bind(outcomes)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE review_campaigns SET closed_at = now(), closed_by = $3 WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(campaign)
    .bind(closed_by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Why one person's access is reviewed on its own.
#[derive(Debug, Clone, Copy)]
pub enum PersonReview {
    /// The birthright rules stopped justifying it (a mover).
    Mover,
    /// A package assignment's scheduled review.
    Package(Uuid),
}

/// Opens a review of one person's `grants` (id and what each gives), asked of
/// `reviewer`; closed when due, undecided items revoked.
pub async fn open_person_review(
    tx: &mut Tx<'_>,
    org_id: Uuid,
    (person, person_name): (Uuid, &str),
    (id, name, why): (Uuid, &str, PersonReview),
    (due_on, reviewer): (NaiveDate, Uuid),
    grants: &[(Uuid, String)],
    (actor, started): super::audit::Recorded<'_>,
) -> sqlx::Result<()> {
    let (mover, assignment) = match why {
        PersonReview::Mover => (Some(person), None),
        PersonReview::Package(assignment) => (None, Some(assignment)),
    };
    let (ids, labels): (Vec<Uuid>, Vec<String>) = grants.iter().cloned().unzip();
    // The campaign, its items and the event recording it in one statement (one round trip
    // per mover).
    let sql = format!(
        "WITH campaign AS ( \
           INSERT INTO review_campaigns (org_id, id, name, scope, reviewer_rule, due_on, undecided, mover_id, \
                                         package_assignment_id) \
           VALUES ($1, $11, $2, \
                   CASE WHEN $6::uuid IS NULL THEN jsonb_build_object('mover', $3::uuid) \
                        ELSE jsonb_build_object('principal', $3::uuid, 'package_assignment', $6::uuid) END, \
                   'managers', $4, 'revoke', $5, $6) \
           RETURNING id), \
         items AS ( \
           INSERT INTO review_items (org_id, campaign_id, grant_id, principal_id, principal_label, bundle_label, \
                                     reviewer_id) \
           SELECT $1, campaign.id, g, $3, $7, b, $8 FROM campaign, unnest($9::uuid[], $10::text[]) AS t(g, b)), \
         started AS ({}) \
         SELECT id FROM campaign",
        super::audit::insert_event(12)
    );
    let query = sqlx::query(&sql)
        .bind(org_id)
        .bind(name)
        .bind(person)
        .bind(due_on)
        .bind(mover)
        .bind(assignment)
        .bind(person_name)
        .bind(reviewer)
        .bind(&ids)
        .bind(&labels)
        .bind(id);
    super::audit::bind_event(query, actor, started)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One person's reviews (movers', packages') due by `today`, every organisation's:
/// (organisation, campaign).
pub async fn due_person_reviews(
    pool: &PgPool,
    today: NaiveDate,
    limit: i64,
) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    sqlx::query_as(
        "SELECT org_id, id FROM review_campaigns \
         WHERE (mover_id IS NOT NULL OR package_assignment_id IS NOT NULL) AND closed_at IS NULL AND due_on <= $1 \
         ORDER BY due_on, id LIMIT $2",
    )
    .bind(today)
    .bind(limit)
    .fetch_all(pool)
    .await
}
