//! SCIM 2.0 provisioning (RFC 7643, RFC 7644): the organisation's identity provider
//! creates, reads, changes and removes people at `/scim/v2` with a provisioning token.
//! The answers and the refusals are in SCIM's own shapes; the server only carries them.

pub mod discovery;
pub mod groups;
pub mod listing;
pub mod query;
pub mod users;

use uuid::Uuid;

use crate::db::audit::Actor;
use crate::error::AppError;
use rules::scim::ScimError;

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Gatehouse's own extension: what it needs of a person that SCIM's schemas lack.
pub const GATEHOUSE: &str = "urn:gatehouse:params:scim:schemas:extension:2.0:User";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// Most resources one page of a list holds.
pub const MAX_RESULTS: i64 = 200;
/// Most bytes a request body may weigh.
pub const MAX_BODY: usize = 64 * 1024;

/// Who is provisioning: the organisation's identity provider, by its token; and where
/// the service is (for each resource's `location`).
#[derive(Debug, Clone)]
pub struct Provisioner {
    pub org_id: Uuid,
    pub token_id: Uuid,
    /// Who made the token: it changes their record, but gives them no access and does
    /// not reactivate them (nobody gives themselves more through a token they made).
    pub maker: Option<Uuid>,
    /// The service's base URL, ending in `/scim/v2`.
    pub base: String,
    /// The lifecycle failsafe applies (always, but when an admin confirmed the change).
    pub failsafe: bool,
}

impl Provisioner {
    pub fn actor(&self) -> Actor {
        Actor {
            org_id: self.org_id,
            principal_id: None,
            label: format!("provisioning token {}", self.token_id),
            source_ip: None,
            user_agent: None,
        }
    }
}

/// A refusal as SCIM says it: the HTTP status, the `scimType` where SCIM names one, and a
/// message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimFailure {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimFailure {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidValue"), detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidSyntax"), detail)
    }

    pub fn not_found() -> Self {
        Self::new(404, None, "There is no such user.")
    }

    /// The body of the answer.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "schemas": [ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = t.into();
        }
        body
    }
}

impl From<ScimError> for ScimFailure {
    fn from(e: ScimError) -> Self {
        Self::new(400, Some(e.scim_type()), e.to_string())
    }
}

impl From<AppError> for ScimFailure {
    fn from(e: AppError) -> Self {
        let message = e.to_string();
        match e {
            AppError::Invalid { .. } => Self::invalid_value(message),
            AppError::BadRequest(_) => Self::invalid_syntax(message),
            AppError::NotFound(_) => Self::new(404, None, message),
            AppError::Conflict(_) => Self::new(409, None, message),
            AppError::Unauthenticated => Self::new(401, None, UNAUTHENTICATED),
            AppError::Forbidden | AppError::SecondFactorRequired | AppError::StepUpRequired => {
                Self::new(403, None, message)
            }
            AppError::SignInRefused(_) => Self::new(403, None, message),
            AppError::Unavailable => Self::new(503, None, message),
            AppError::Internal { .. } => Self::new(500, None, message),
        }
    }
}

impl From<sqlx::Error> for ScimFailure {
    /// A write refused for a duplicate (userName, email or external id) is SCIM's
    /// `uniqueness`; anything else is what [`AppError`] makes of it.
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.code().as_deref() == Some("23505") {
                let what = match db.constraint() {
                    Some(c) if c.contains("groups_name") => "displayName",
                    Some(c) if c.contains("email") => "email",
                    Some(c) if c.contains("external_id") => "externalId",
                    _ => "userName",
                };
                return Self::new(
                    409,
                    Some("uniqueness"),
                    format!("Another user or group of the organisation has this {what}."),
                );
            }
            // A statement cancelled for taking too long, or a change that met another
            // one (deadlock, serialisation): the service is busy, not broken.
            if matches!(db.code().as_deref(), Some("57014" | "40P01" | "40001")) {
                return Self::new(503, None, "The service is busy; try again in a moment.");
            }
            // What the checks above let through and a constraint still refuses (a
            // manager removed meanwhile, say) is the request's, not the server's.
            if matches!(db.code().as_deref(), Some("23503" | "23514")) {
                return Self::invalid_value(
                    "A value cannot be stored as given (a manager or a field that is no longer valid); read the user again and retry.",
                );
            }
        }
        AppError::from(e).into()
    }
}

pub const UNAUTHENTICATED: &str = "Send the organisation's provisioning token: Authorization: \
    Bearer gtk_\u{2026} (a Governance admin makes one under API tokens; it may have expired or \
    been revoked).";
