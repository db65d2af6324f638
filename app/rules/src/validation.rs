//! Parse, don't validate: the constructors below are the only way to get these values,
//! and their errors are sentences a person can act on.

use crate::error::RuleError;

/// The first character of `text` that no field may hold: NUL and the other control
/// characters, but for tab and line breaks. PostgreSQL cannot store NUL in text, and
/// the others only ever hide what a value says.
pub fn forbidden_character(text: &str) -> Option<char> {
    text.chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// The message for a field holding such a character.
pub fn forbidden_character_message(field: &str, c: char) -> String {
    format!(
        "\u{201c}{field}\u{201d} holds a control character (U+{:04X}); send the text without it.",
        u32::from(c)
    )
}

/// The first string in a JSON value (keys included) holding a forbidden character: the
/// name of the field it is in (the top-level key), and the character.
pub fn forbidden_in_json(value: &serde_json::Value) -> Option<(String, char)> {
    fn walk(value: &serde_json::Value, field: &str) -> Option<(String, char)> {
        use serde_json::Value;
        match value {
            Value::String(s) => forbidden_character(s).map(|c| (field.to_string(), c)),
            Value::Array(items) => items.iter().find_map(|v| walk(v, field)),
            Value::Object(map) => map.iter().find_map(|(k, v)| {
                let field = if field.is_empty() { k.as_str() } else { field };
                forbidden_character(k)
                    .map(|c| (field.to_string(), c))
                    .or_else(|| walk(v, field))
            }),
            _ => None,
        }
    }
    walk(value, "")
}

/// A normalised (trimmed, lower-case) email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, RuleError> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(RuleError::invalid(field, "Enter an email address."));
        }
        if email.len() > 254 {
            return Err(RuleError::invalid(
                field,
                "That email address is too long (254 characters at most).",
            ));
        }
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && domain.contains('.')
                    && !domain.contains('@')
                    && !email.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if !valid {
            return Err(RuleError::invalid(
                field,
                "Enter an email address like name@example.com.",
            ));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new console password: long enough to resist guessing, short enough to hash.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

impl NewPassword {
    pub fn parse(field: &str, raw: &str) -> Result<Self, RuleError> {
        let chars = raw.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(RuleError::invalid(
                field,
                format!("Use at least {PASSWORD_MIN_CHARS} characters for the password."),
            ));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(RuleError::invalid(
                field,
                format!("Use at most {PASSWORD_MAX_CHARS} characters for the password."),
            ));
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// A short, human name: trimmed, non-empty, bounded, single line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub fn parse(field: &str, what: &str, raw: &str, max_chars: usize) -> Result<Self, RuleError> {
        let name = raw.trim();
        if name.is_empty() {
            let article = if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            return Err(RuleError::invalid(
                field,
                format!("Enter {article} {what}."),
            ));
        }
        if name.chars().count() > max_chars {
            return Err(RuleError::invalid(
                field,
                format!("The {what} is too long ({max_chars} characters at most)."),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(RuleError::invalid(
                field,
                format!("The {what} must be a single line of text."),
            ));
        }
        Ok(Name(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_in_text_and_json() {
        assert_eq!(forbidden_character("a\u{0}b"), Some('\u{0}'));
        assert_eq!(forbidden_character("bell\u{7}"), Some('\u{7}'));
        assert_eq!(forbidden_character("two\nlines\tand tabs\r\n"), None);
        assert_eq!(forbidden_character("Zoë 😀"), None);
        let event = serde_json::json!({"id": "1", "evidence": {"note": ["ok", "x\u{0}"]}});
        assert_eq!(
            forbidden_in_json(&event),
            Some(("evidence".into(), '\u{0}'))
        );
        assert_eq!(
            forbidden_in_json(&serde_json::json!({"a\u{1}": 1})),
            Some(("a\u{1}".into(), '\u{1}'))
        );
        assert_eq!(
            forbidden_in_json(&serde_json::json!({"a": null, "b": [1, "x"]})),
            None
        );
        assert!(forbidden_character_message("principal", '\u{0}').contains("U+0000"));
    }

    #[test]
    fn email_is_normalised() {
        assert_eq!(
            Email::parse("email", "  Ada@Example.COM ")
                .unwrap()
                .as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn bad_emails_are_refused_with_the_field_named() {
        for raw in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@.com",
        ] {
            let err = Email::parse("email", raw).unwrap_err();
            assert!(
                err.field_message("email").is_some(),
                "{raw:?} should be refused"
            );
        }
    }

    #[test]
    fn password_length_bounds() {
        assert!(NewPassword::parse("password", "short").is_err());
        assert!(NewPassword::parse("password", &"x".repeat(PASSWORD_MIN_CHARS)).is_ok());
        assert!(NewPassword::parse("password", &"x".repeat(PASSWORD_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let p = NewPassword::parse("password", "correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("name", "account name", "  Acme  ", 10)
                .unwrap()
                .as_str(),
            "Acme"
        );
        let err = Name::parse("name", "account name", "", 10).unwrap_err();
        assert_eq!(
            err.field_message("name").as_deref(),
            Some("Enter an account name.")
        );
        assert!(Name::parse("name", "account name", "x".repeat(11).as_str(), 10).is_err());
        assert!(Name::parse("name", "account name", "a\nb", 10).is_err());
    }
}
