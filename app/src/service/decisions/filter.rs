//! `POST /api/v1/filter`: records of a resource in, the same records out with every
//! field their reader may not see removed, and what was removed and why. The reader
//! must be allowed `<resource>.view` (an agent and the person it acts for, both); each
//! field must be within the reader's clearance (the lower of the principal's own and
//! the highest its allowing grants' roles give; for an agent, the lower of its and the
//! person's); a data subject who withdrew or refused consent for the stated purpose shows
//! only public fields. This is how an AI assistant keeps its answers within its
//! asker's rights.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

use super::{look_up, Asked, Reason, MAX_TEXT, OWN_PRINCIPAL_ONLY};
use crate::db;
use crate::db::tokens::TokenCaller;
use crate::error::AppError;
use rules::policy::conditions::Sensitivity;
use rules::policy::fields::{filter as filter_record, Field};
use rules::policy::Why;

const MAX_RECORDS: usize = 1_000;
const MAX_FIELDS: usize = 200;

/// The body of `POST /api/v1/filter`: whose eyes, which resource, and the records.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterRequest {
    /// The reader: an id, email or external id.
    principal: String,
    #[serde(default)]
    on_behalf_of: Option<String>,
    resource: String,
    #[serde(default)]
    account: Option<String>,
    /// Consent is checked for this purpose when given.
    #[serde(default)]
    purpose: Option<String>,
    /// The field naming each record's data subject (external id or email).
    #[serde(default = "default_subject_field")]
    subject_field: String,
    /// 1 to 1,000 JSON objects of at most 200 fields each (or one `record`).
    #[serde(default)]
    #[schema(max_items = 1000)]
    records: Option<Vec<Map<String, Value>>>,
    #[serde(default)]
    record: Option<Map<String, Value>>,
}

/// The answer of `POST /api/v1/filter`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Filtered {
    /// Whether the reader may view the resource there at all.
    pub allowed: bool,
    /// Why not, when not allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<Reason>>,
    /// The reader's clearance, when allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clearance: Option<Sensitivity>,
    /// Every field removed, from which record, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<Vec<RemovedField>>,
    /// The records as the reader may see them (none when not allowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<Map<String, Value>>>,
    /// The record, when one `record` was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<Map<String, Value>>,
    /// How many records were held back, when not allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld_records: Option<usize>,
}

/// A field removed from a record, and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RemovedField {
    #[serde(flatten)]
    why: rules::policy::fields::Removed,
    /// The record's position in the request.
    record: usize,
    text: String,
}

fn default_subject_field() -> String {
    "email".into()
}

/// The grants a decision names as allowing: the principal's own, and the person's it
/// acts for.
fn allowing(reasons: &[Why]) -> (Vec<Uuid>, Vec<Uuid>) {
    let mut own = Vec::new();
    let mut theirs = Vec::new();
    for why in reasons {
        match why {
            Why::Allowed { grant, .. } => own.push(*grant),
            Why::ActsFor { reasons, .. } => theirs.extend(allowing(reasons).0),
            _ => {}
        }
    }
    (own, theirs)
}

pub async fn filter(
    pool: &PgPool,
    caller: TokenCaller,
    body: &Value,
) -> Result<Filtered, AppError> {
    let body = FilterRequest::deserialize(body).map_err(|e| {
        AppError::BadRequest(format!(
            "{e}; send principal, resource and records (or record), and optionally on_behalf_of, account, purpose and subject_field"
        ))
    })?;
    let names = [
        Some(&body.principal),
        body.on_behalf_of.as_ref(),
        Some(&body.resource),
        body.account.as_ref(),
        body.purpose.as_ref(),
        Some(&body.subject_field),
    ];
    for name in names.into_iter().flatten() {
        if name.chars().count() > MAX_TEXT || name.contains(char::is_control) {
            return Err(AppError::invalid(
                "names",
                format!("Names are plain text of at most {MAX_TEXT} characters, without control characters."),
            ));
        }
    }
    if body.record.is_some() && body.records.is_some() {
        return Err(AppError::invalid(
            "records",
            "Send either one record or a list of records, not both.",
        ));
    }
    let single = body.record.is_some();
    let records: Vec<Map<String, Value>> = body
        .records
        .into_iter()
        .flatten()
        .chain(body.record)
        .collect();
    if records.iter().any(|r| r.len() > MAX_FIELDS) {
        return Err(AppError::invalid(
            "records",
            format!("Each record is a JSON object of at most {MAX_FIELDS} fields."),
        ));
    }
    if records.is_empty() || records.len() > MAX_RECORDS {
        return Err(AppError::invalid(
            "records",
            format!("Send between 1 and {MAX_RECORDS} records."),
        ));
    }
    let resource = body.resource.trim().to_lowercase();
    let (org, application) = (caller.org_id, caller.application_id);
    let asked = Asked {
        principal: body.principal.trim().to_string(),
        permission: format!("{resource}.view"),
        account: body
            .account
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty()),
        resource: BTreeMap::new(),
        on_behalf_of: body
            .on_behalf_of
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty()),
    };
    let found = look_up(pool, org, application, &[&asked]).await?;
    if let Some(me) = caller.principal_id {
        if found.principal(&asked.principal).map(|p| p.id) != Some(me) {
            return Err(AppError::invalid("principal", OWN_PRINCIPAL_ONLY));
        }
    }
    let (mut decision, _) = found.decide(application, &asked, Utc::now());
    if caller.principal_id.is_some() {
        decision = super::for_principal_token(decision);
    }
    if !decision.allowed {
        let withheld_records = Some(records.len());
        let reasons = Reason::all(decision.reasons, &|id| found.account_name(id));
        return Ok(Filtered {
            allowed: false,
            reasons: Some(reasons),
            clearance: None,
            removed: None,
            records: Some(Vec::new()),
            record: None,
            withheld_records,
        });
    }
    let (own_grants, their_grants) = allowing(&decision.reasons);
    let mut reader = found.clearance(&asked.principal, application, &own_grants);
    if let Some(human) = &asked.on_behalf_of {
        reader = reader.min(found.clearance(human, application, &their_grants));
    }
    let fields: HashMap<String, Field> = db::fields::of_resource(pool, org, application, &resource)
        .await?
        .into_iter()
        .filter_map(|f| {
            Some((
                f.field,
                Field {
                    sensitivity: Sensitivity::parse(&f.sensitivity)?,
                    special_category: f.special_category,
                },
            ))
        })
        .collect();
    let purpose = body
        .purpose
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    let subject_of = |r: &Map<String, Value>| {
        r.get(&body.subject_field)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let withheld: HashSet<String> = match &purpose {
        None => HashSet::new(),
        Some(purpose) => {
            let references: Vec<String> = records.iter().filter_map(subject_of).collect();
            let account = asked.account.as_ref().and_then(|r| found.account(r));
            db::consent::withheld_for(pool, org, account, &references, purpose)
                .await?
                .into_iter()
                .collect()
        }
    };
    let mut out = Vec::with_capacity(records.len());
    let mut removed = Vec::new();
    for (i, record) in records.iter().enumerate() {
        // With a purpose, a record whose subject cannot be named is withheld as one
        // without consent: nothing shows that was not checked.
        let no_consent = purpose
            .as_deref()
            .filter(|_| subject_of(record).is_none_or(|s| withheld.contains(&s)));
        let (kept, gone) = filter_record(record, &fields, reader, no_consent);
        out.push(kept);
        removed.extend(gone.into_iter().map(|why| RemovedField {
            text: why.words(),
            why,
            record: i,
        }));
    }
    // No policy version: consent is read as it stands, and it changes no version, so
    // a filtered record is not an answer to keep.
    let (record, records) = if single {
        (out.pop(), None)
    } else {
        (None, Some(out))
    };
    Ok(Filtered {
        allowed: true,
        reasons: None,
        clearance: Some(reader),
        removed: Some(removed),
        records,
        record,
        withheld_records: None,
    })
}
