//! Who is calling: the session, the principal behind it, their console permissions and
//! where the request comes from. Server-only; `api` resolves the caller through it and
//! `service` may take it, so nothing below `api` needs to know about server functions.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use chrono::{DateTime, Duration, Utc};
use http::request::Parts;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use crate::db;
use crate::db::audit::Actor;
use crate::error::AppError;
use crate::model::CurrentUser;
use rules::console::{AccountScope, ConsolePermission, Touches};
use rules::effective::{effective_permissions, grant_in_force};
use rules::operations::{ActsOn, Needs};

pub const SESSION_KEY: &str = "auth";
/// Where a sign-in waiting for its second factor is kept (never a console session).
pub const AWAITING_CODE_KEY: &str = "awaiting-code";
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
pub const ABSOLUTE_LIFETIME: Duration = Duration::hours(12);
/// The session's last-seen time is refreshed at most this often.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// What the session store keeps about a signed-in user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionAuth {
    pub org_id: Uuid,
    pub principal_id: Uuid,
    /// Identifies the session in `console_sessions`, so it can be ended server-side.
    pub session_ref: String,
    pub signed_in_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl SessionAuth {
    /// Within both the idle timeout and the absolute lifetime.
    pub fn is_fresh(&self, now: DateTime<Utc>) -> bool {
        now - self.signed_in_at < ABSOLUTE_LIFETIME && now - self.last_seen < IDLE_TIMEOUT
    }
}

/// Where a request comes from, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestOrigin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl RequestOrigin {
    pub fn from_parts(parts: &Parts) -> Self {
        RequestOrigin {
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip().to_string()),
            user_agent: parts
                .headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(512).collect()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub org_id: Uuid,
    pub principal_id: Uuid,
    pub session_ref: String,
    pub display_name: String,
    pub email: String,
    pub organisation: String,
    pub roles: Vec<String>,
    pub permissions: Vec<ConsolePermission>,
    /// Each permission with the account its grant reaches (`None`: every account).
    pub reach: Vec<(ConsolePermission, Option<Uuid>)>,
    /// The accounts the operation being called may act on: set when the operations table
    /// admits the caller to it, and nothing before.
    pub scope: AccountScope,
    pub origin: RequestOrigin,
    /// A person: AI agents, bots and integrations never decide requests or reviews.
    pub may_decide: bool,
    /// When their organisation needs them to have a second factor by, if it does and
    /// they have none: past it, they may only set one up.
    pub second_factor_due: Option<DateTime<Utc>>,
    /// Whether a risky action must first ask for their second factor again.
    pub step_up: StepUp,
}

/// Whether a risky action may go ahead without asking the caller for their second
/// factor again (`rules::second_factor::step_up_needed`): a service that finds its
/// action risky only once it has read the data takes this and checks it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepUp {
    needed: bool,
}

impl StepUp {
    pub fn check(self) -> Result<(), AppError> {
        if self.needed {
            Err(AppError::StepUpRequired)
        } else {
            Ok(())
        }
    }
}

impl Caller {
    pub fn can(&self, permission: ConsolePermission) -> bool {
        self.permissions.contains(&permission)
    }

    /// The accounts `permission` reaches for the caller.
    pub fn accounts(&self, permission: ConsolePermission) -> AccountScope {
        AccountScope::of(
            self.reach
                .iter()
                .filter(|(p, _)| *p == permission)
                .map(|(_, account)| *account),
        )
    }

    pub fn actor(&self) -> Actor {
        Actor {
            org_id: self.org_id,
            principal_id: Some(self.principal_id),
            label: format!("{} <{}>", self.display_name, self.email),
            source_ip: self.origin.ip.clone(),
            user_agent: self.origin.user_agent.clone(),
        }
    }

    pub fn to_current_user(&self) -> CurrentUser {
        CurrentUser {
            principal_id: self.principal_id,
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            organisation: self.organisation.clone(),
            roles: self.roles.clone(),
            permissions: self.permissions.clone(),
            second_factor_due: self.second_factor_due,
        }
    }
}

/// Resolves the caller of a request from its session. Ends sessions that are past
/// their idle timeout or lifetime, or whose principal is no longer active.
pub async fn caller_from_session(
    pool: &PgPool,
    session: &Session,
    origin: RequestOrigin,
) -> Result<Option<Caller>, AppError> {
    let Some(mut auth) = session.get::<SessionAuth>(SESSION_KEY).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    if !auth.is_fresh(now) {
        let mut tx = pool.begin().await?;
        db::auth::end_session(&mut tx, auth.org_id, &auth.session_ref).await?;
        tx.commit().await?;
        session.flush().await?;
        return Ok(None);
    }
    let Some((who, granted)) =
        db::auth::session_caller(pool, auth.org_id, &auth.session_ref, auth.principal_id).await?
    else {
        session.flush().await?;
        return Ok(None);
    };
    if now - auth.last_seen >= TOUCH_EVERY {
        auth.last_seen = now;
        session.insert(SESSION_KEY, &auth).await?;
    }

    let mut roles: Vec<String> = granted
        .iter()
        .filter(|(g, _)| grant_in_force(g.valid_from, g.valid_until, g.revoked_at, now))
        .map(|(_, bundle)| bundle.clone())
        .collect();
    roles.sort();
    roles.dedup();
    let granted: Vec<_> = granted.into_iter().map(|(g, _)| g).collect();
    let reach: Vec<(ConsolePermission, Option<Uuid>)> = effective_permissions(&granted, now)
        .iter()
        .filter_map(|e| ConsolePermission::from_key(&e.permission).map(|p| (p, e.account_id)))
        .collect();
    let mut permissions: Vec<ConsolePermission> = reach.iter().map(|(p, _)| *p).collect();
    permissions.sort();
    permissions.dedup();

    let second_factor_due = rules::second_factor::due(
        &roles,
        who.has_second_factor,
        &who.second_factor_roles,
        who.second_factor_policy_since,
        who.second_factor_grace_days,
    );
    Ok(Some(Caller {
        org_id: auth.org_id,
        principal_id: auth.principal_id,
        session_ref: auth.session_ref,
        display_name: who.display_name,
        email: who.email,
        organisation: who.organisation,
        roles,
        permissions,
        reach,
        scope: AccountScope::Only(Vec::new()),
        origin,
        may_decide: rules::principals::non_human::may_decide(&who.kind),
        second_factor_due,
        step_up: StepUp {
            needed: rules::second_factor::step_up_needed(
                who.has_second_factor,
                who.second_factor_at,
                now,
            ),
        },
    }))
}

/// Lets `caller` through to the operation at `path` if the operations table admits them:
/// signed out is refused as such, a path without a row is refused to everyone.
pub fn admit(path: &str, caller: Option<Caller>) -> Result<Caller, AppError> {
    admit_choice(path, None, caller)
}

/// As `admit`, for an operation whose input chooses what it does: `choice` (the field
/// `field` of the input) must be one of the row's choices, and the caller must also hold
/// the permission it needs.
pub fn admit_choice(
    path: &str,
    choice: Option<(&str, &str)>,
    caller: Option<Caller>,
) -> Result<Caller, AppError> {
    let Some(operation) = rules::operations::operation(path) else {
        tracing::error!(
            path,
            "refused: the operation has no row in the operations table"
        );
        return Err(AppError::Forbidden);
    };
    let mut caller = caller.ok_or(AppError::Unauthenticated)?;
    if caller
        .second_factor_due
        .is_some_and(|due| due <= Utc::now())
        && !rules::second_factor::open_while_owed(path)
    {
        return Err(AppError::SecondFactorRequired);
    }
    if !operation.needs.admits(true, &caller.permissions)
        || (operation.decides && !caller.may_decide)
    {
        return Err(AppError::Forbidden);
    }
    caller.scope = match operation.needs {
        Needs::Permission(permission) => caller.accounts(permission),
        _ => AccountScope::Every,
    };
    if choice.is_none() && !operation.choices.is_empty() {
        tracing::error!(
            path,
            "refused: the operation's choice was not given to the guard"
        );
        return Err(AppError::Forbidden);
    }
    if let Some((field, choice)) = choice {
        let needed = operation
            .choice(choice)
            .map_err(|message| AppError::invalid(field, message))?;
        if !caller.can(needed) {
            return Err(AppError::Forbidden);
        }
        caller.scope = caller.scope.and(&caller.accounts(needed));
    }
    if operation.acts_on == ActsOn::Organisation && caller.scope != AccountScope::Every {
        return Err(AppError::Forbidden);
    }
    Ok(caller)
}

/// Lets the admitted `caller` act on the object `target` names through the operation at
/// `path` only if the object's accounts are within the caller's scope for it (see
/// `AccountScope::reaches`). An object the organisation does not have passes, for the
/// use case to answer that it was not found.
pub async fn reach(
    pool: &PgPool,
    caller: &Caller,
    path: &str,
    target: Uuid,
) -> Result<(), AppError> {
    let Some(operation) = rules::operations::operation(path) else {
        return Err(AppError::Forbidden);
    };
    if caller.scope == AccountScope::Every {
        return Ok(());
    }
    let Some(touches) = db::scope::touches(pool, caller.org_id, operation.acts_on, target).await?
    else {
        return Ok(());
    };
    // An operation whose input chooses a change (the dormant report's suspend or
    // revoke) changes, whatever its row's own permission.
    let reading = match operation.needs {
        Needs::Permission(permission) => permission.reads_only() && operation.choices.is_empty(),
        _ => false,
    };
    if caller.scope.reaches(&touches, reading) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// As `reach`, for each of `targets`.
pub async fn reach_each(
    pool: &PgPool,
    caller: &Caller,
    path: &str,
    targets: &[Uuid],
) -> Result<(), AppError> {
    for target in targets {
        reach(pool, caller, path, *target).await?;
    }
    Ok(())
}

/// Lets the admitted `caller` act on the accounts chosen in the input of the operation
/// (none: every account).
pub fn reach_accounts(caller: &Caller, accounts: &[Uuid]) -> Result<(), AppError> {
    if caller
        .scope
        .reaches(&Touches::chosen(accounts.to_vec()), false)
    {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session_at(signed_in: DateTime<Utc>, last_seen: DateTime<Utc>) -> SessionAuth {
        SessionAuth {
            org_id: Uuid::nil(),
            principal_id: Uuid::nil(),
            session_ref: String::new(),
            signed_in_at: signed_in,
            last_seen,
        }
    }

    #[test]
    fn sessions_end_after_thirty_idle_minutes() {
        let now = Utc::now();
        assert!(session_at(now - Duration::hours(1), now - Duration::minutes(29)).is_fresh(now));
        assert!(!session_at(now - Duration::hours(1), now - Duration::minutes(30)).is_fresh(now));
    }

    #[test]
    fn sessions_end_after_twelve_hours_however_busy() {
        let now = Utc::now();
        assert!(session_at(now - Duration::hours(11), now).is_fresh(now));
        assert!(!session_at(now - Duration::hours(12), now).is_fresh(now));
    }
}
