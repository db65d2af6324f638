//! What a rule answers when it refuses: the service layer turns it into the console's
//! error, with the same words.

/// Why a rule refused. Messages are written for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// A value the person typed is not acceptable; `field` names the form field.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The request is well formed but conflicts with the state of things.
    #[error("{0}")]
    Conflict(String),
    /// The person may not do this at all.
    #[error("You do not have permission to do this.")]
    Forbidden,
}

impl RuleError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        RuleError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The message for a given form field, if this error is about that field.
    pub fn field_message(&self, name: &str) -> Option<String> {
        match self {
            RuleError::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }
}
