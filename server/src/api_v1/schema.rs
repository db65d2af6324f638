//! The bodies of `/api/v1` that are read event by event (so that one bad event never
//! stops the others) and so have no single Rust type to derive their schema from: what
//! a well-formed batch looks like, for the OpenAPI document.

use serde_json::{Map, Value};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::ToSchema;

/// `{"error": "…"}`: why the request was refused, in words a person can act on.
#[derive(ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

/// `POST /api/v1/activity`: what the token's application saw its principals do.
#[derive(ToSchema)]
pub struct ActivityBatch {
    #[schema(min_items = 1, max_items = 1000)]
    pub events: Vec<ActivityEvent>,
}

/// One use of a permission.
#[derive(ToSchema)]
pub struct ActivityEvent {
    /// Unique per application: an event sent again is a duplicate, not recorded twice.
    #[schema(min_length = 1, max_length = 200, example = "crm-88121")]
    pub id: String,
    /// The principal's email or external id.
    #[schema(example = "member@northwind.example")]
    pub principal: String,
    /// `resource.action` of the token's application.
    #[schema(example = "contacts.view")]
    pub permission: String,
    /// An account's name or id; left out for activity outside any account.
    #[schema(example = "Acme Retail")]
    pub account: Option<String>,
    /// RFC 3339, at most 5 minutes ahead of the server's clock.
    #[schema(format = DateTime, example = "2026-11-24T09:30:00Z")]
    pub at: String,
}

/// `POST /api/v1/consent-events`: consent collected by the token's application.
#[derive(ToSchema)]
pub struct ConsentBatch {
    #[schema(min_items = 1, max_items = 1000)]
    pub events: Vec<ConsentEvent>,
}

/// One consent event of a data subject.
#[derive(ToSchema)]
pub struct ConsentEvent {
    /// Unique per application.
    #[schema(min_length = 1, max_length = 200, example = "bot-5521")]
    pub id: String,
    /// The data subject's id in the sending system, unique within the account.
    #[schema(example = "wa-351912345678")]
    pub subject: String,
    #[schema(format = Email)]
    pub email: Option<String>,
    pub name: Option<String>,
    /// ISO 3166 alpha-2.
    #[schema(pattern = "^[A-Za-z]{2}$", example = "PT")]
    pub country: Option<String>,
    /// An account's name or id.
    #[schema(example = "Acme Retail")]
    pub account: String,
    #[schema(schema_with = channel)]
    pub channel: String,
    /// marketing, personalisation, analytics, ai_processing or one the organisation
    /// added.
    #[schema(example = "marketing")]
    pub purpose: String,
    pub status: rules::consent::ConsentStatus,
    #[schema(schema_with = lawful_basis)]
    pub lawful_basis: String,
    #[schema(schema_with = method)]
    pub method: String,
    /// The system that collected it.
    #[schema(example = "Chatbot Builder")]
    pub source: String,
    #[schema(example = "2026-10")]
    pub notice_version: String,
    /// The SHA-256 (hex) of the notice text shown.
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub notice_sha256: String,
    #[schema(example = "pt-PT")]
    pub language: String,
    #[schema(example = "EU")]
    pub jurisdiction: String,
    /// RFC 3339, at most 5 minutes ahead of the server's clock.
    #[schema(format = DateTime, example = "2026-11-24T09:30:00Z")]
    pub at: String,
    /// Any JSON object.
    pub evidence: Option<Map<String, Value>>,
}

/// A string that must be one of `values` (the lists the events are checked against).
fn one_of(values: &[&str], description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .build()
}

fn channel() -> Object {
    one_of(&rules::consent::CHANNELS, "The channel the consent is for.")
}

fn lawful_basis() -> Object {
    one_of(&rules::consent::LAWFUL_BASES, "GDPR Article 6(1).")
}

fn method() -> Object {
    one_of(&rules::consent::METHODS, "How it was collected.")
}
