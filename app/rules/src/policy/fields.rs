//! What a record may show its reader: each field has a sensitivity (declared by the
//! organisation, `internal` when not declared; special-category personal data counts
//! as `restricted`), and a field above the reader's clearance is removed. A data subject
//! who withdrew or refused consent for the stated purpose shows nothing above `public`.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::conditions::Sensitivity;

/// A declared field of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub sensitivity: Sensitivity,
    /// Special-category personal data (health, beliefs, …).
    pub special_category: bool,
}

/// Undeclared fields are treated as this.
pub const UNDECLARED: Sensitivity = Sensitivity::Internal;

/// The clearance a role or permission set gives when it names none.
pub const ROLE_DEFAULT: Sensitivity = Sensitivity::Internal;

impl Field {
    /// The level a reader needs.
    pub fn level(self) -> Sensitivity {
        if self.special_category {
            Sensitivity::Restricted
        } else {
            self.sensitivity
        }
    }
}

/// A field's name as declared: lower case letters, digits and underscores, starting
/// with a letter, at most 64 characters.
pub fn parse_field_name(raw: &str) -> Result<String, crate::error::RuleError> {
    let name = raw.trim().to_lowercase();
    let mut chars = name.chars();
    let fine = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 64;
    if fine {
        Ok(name)
    } else {
        Err(crate::error::RuleError::invalid(
            "field",
            "Write the field's name as the system sends it: letters, digits and underscores, starting with a letter (for example phone_number).",
        ))
    }
}

/// Why a field was removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Removed {
    AboveClearance {
        field: String,
        sensitivity: Sensitivity,
        special_category: bool,
        clearance: Sensitivity,
    },
    ConsentWithheld {
        field: String,
        purpose: String,
    },
}

impl Removed {
    pub fn words(&self) -> String {
        match self {
            Removed::AboveClearance {
                field,
                sensitivity,
                special_category,
                clearance,
            } => {
                let what = if *special_category {
                    format!("special-category personal data ({})", sensitivity.as_str())
                } else {
                    sensitivity.as_str().to_string()
                };
                format!(
                    "\u{201c}{field}\u{201d} is {what}, above the reader's clearance ({})",
                    clearance.as_str()
                )
            }
            Removed::ConsentWithheld { field, purpose } => format!(
                "\u{201c}{field}\u{201d} is withheld: the data subject withdrew or refused consent for {purpose}"
            ),
        }
    }
}

/// The reader's clearance: the lowest of the principal's own (if it has one) and the
/// highest its allowing grants give.
pub fn clearance(own: Option<Sensitivity>, by_grants: &[Option<Sensitivity>]) -> Sensitivity {
    let granted = by_grants
        .iter()
        .map(|c| c.unwrap_or(ROLE_DEFAULT))
        .max()
        .unwrap_or(Sensitivity::Public);
    own.map_or(granted, |own| own.min(granted))
}

/// The record with every field the reader may not see removed, and why each went.
/// `consent_withheld`: the purpose the data subject withdrew or refused consent for.
pub fn filter(
    record: &Map<String, Value>,
    fields: &HashMap<String, Field>,
    clearance: Sensitivity,
    consent_withheld: Option<&str>,
) -> (Map<String, Value>, Vec<Removed>) {
    let mut kept = Map::new();
    let mut removed = Vec::new();
    for (name, value) in record {
        let field = fields.get(&name.to_lowercase()).copied().unwrap_or(Field {
            sensitivity: UNDECLARED,
            special_category: false,
        });
        let level = field.level();
        if level > clearance {
            removed.push(Removed::AboveClearance {
                field: name.clone(),
                sensitivity: field.sensitivity,
                special_category: field.special_category,
                clearance,
            });
        } else if let Some(purpose) = consent_withheld.filter(|_| level > Sensitivity::Public) {
            removed.push(Removed::ConsentWithheld {
                field: name.clone(),
                purpose: purpose.to_string(),
            });
        } else {
            kept.insert(name.clone(), value.clone());
        }
    }
    (kept, removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use Sensitivity::*;

    fn fields() -> HashMap<String, Field> {
        [
            ("name", Public, false),
            ("email", Internal, false),
            ("revenue", Confidential, false),
            ("card_number", Restricted, false),
            ("health_notes", Internal, true),
        ]
        .into_iter()
        .map(|(f, sensitivity, special_category)| {
            (
                f.to_string(),
                Field {
                    sensitivity,
                    special_category,
                },
            )
        })
        .collect()
    }

    fn record() -> Map<String, Value> {
        json!({"name": "Ada", "email": "ada@example.com", "revenue": 10, "card_number": "4111",
               "health_notes": "…", "notes": "undeclared"})
        .as_object()
        .unwrap()
        .clone()
    }

    fn kept(clearance: Sensitivity, consent: Option<&str>) -> Vec<String> {
        let (kept, removed) = filter(&record(), &fields(), clearance, consent);
        assert_eq!(kept.len() + removed.len(), record().len());
        kept.keys().cloned().collect()
    }

    #[test]
    fn fields_above_the_clearance_go_and_undeclared_ones_count_as_internal() {
        assert_eq!(kept(Public, None), ["name"]);
        assert_eq!(kept(Internal, None), ["email", "name", "notes"]);
        assert_eq!(
            kept(Confidential, None),
            ["email", "name", "notes", "revenue"]
        );
        assert_eq!(kept(Restricted, None).len(), 6);
        let (_, removed) = filter(&record(), &fields(), Confidential, None);
        let health = removed
            .iter()
            .find(|r| matches!(r, Removed::AboveClearance { field, .. } if field == "health_notes"))
            .unwrap();
        assert!(
            health.words().contains("special-category"),
            "{}",
            health.words()
        );
    }

    #[test]
    fn a_subject_without_consent_shows_only_public_fields() {
        assert_eq!(kept(Restricted, Some("marketing")), ["name"]);
        let (_, removed) = filter(&record(), &fields(), Restricted, Some("marketing"));
        assert!(removed[0].words().contains("marketing"));
    }

    #[test]
    fn field_names_are_plain() {
        assert_eq!(parse_field_name(" Phone_Number ").unwrap(), "phone_number");
        for bad in ["", "1st", "e-mail", "name; drop", &"x".repeat(65)] {
            assert!(parse_field_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_clearance_is_the_lower_of_the_principals_and_its_grants() {
        assert_eq!(clearance(None, &[]), Public);
        assert_eq!(clearance(None, &[None]), Internal);
        assert_eq!(clearance(None, &[None, Some(Restricted)]), Restricted);
        assert_eq!(
            clearance(Some(Confidential), &[Some(Restricted)]),
            Confidential
        );
        assert_eq!(clearance(Some(Restricted), &[None]), Internal);
    }
}
