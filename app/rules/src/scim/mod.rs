//! SCIM 2.0 (RFC 7644) as plain functions: `filter` parses and evaluates the `filter`
//! query parameter, `patch` parses PATCH paths and applies operations to a resource's
//! JSON. No I/O: the service layer reads and stores resources and checks schemas.

pub mod filter;
pub mod patch;

/// Why a SCIM request was refused. Each kind maps to the `scimType` of RFC 7644
/// section 3.12, which the service layer sends with status 400; the message is written
/// for the person reading the identity provider's logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScimError {
    /// The filter cannot be parsed or compares in a way SCIM does not allow.
    #[error("{0}")]
    InvalidFilter(String),
    /// A PATCH path cannot be parsed or does not fit the attribute it names.
    #[error("{0}")]
    InvalidPath(String),
    /// A PATCH path's value filter selected nothing to operate on.
    #[error("{0}")]
    NoTarget(String),
    /// A value is missing or does not fit the operation.
    #[error("{0}")]
    InvalidValue(String),
    /// The request body does not have the shape SCIM requires.
    #[error("{0}")]
    InvalidSyntax(String),
    /// The request would change an attribute that may not be changed.
    #[error("{0}")]
    Mutability(String),
}

impl ScimError {
    /// The `scimType` member of the error response.
    pub fn scim_type(&self) -> &'static str {
        match self {
            ScimError::InvalidFilter(_) => "invalidFilter",
            ScimError::InvalidPath(_) => "invalidPath",
            ScimError::NoTarget(_) => "noTarget",
            ScimError::InvalidValue(_) => "invalidValue",
            ScimError::InvalidSyntax(_) => "invalidSyntax",
            ScimError::Mutability(_) => "mutability",
        }
    }

    /// The message alone, whatever the kind.
    pub fn message(&self) -> &str {
        match self {
            ScimError::InvalidFilter(m)
            | ScimError::InvalidPath(m)
            | ScimError::NoTarget(m)
            | ScimError::InvalidValue(m)
            | ScimError::InvalidSyntax(m)
            | ScimError::Mutability(m) => m,
        }
    }

    /// The same kind of error with `prefix` before its message, to say which operation
    /// of a PATCH request it is about.
    pub(crate) fn prefixed(self, prefix: &str) -> Self {
        let wrap = |m: String| format!("{prefix}{m}");
        match self {
            ScimError::InvalidFilter(m) => ScimError::InvalidFilter(wrap(m)),
            ScimError::InvalidPath(m) => ScimError::InvalidPath(wrap(m)),
            ScimError::NoTarget(m) => ScimError::NoTarget(wrap(m)),
            ScimError::InvalidValue(m) => ScimError::InvalidValue(wrap(m)),
            ScimError::InvalidSyntax(m) => ScimError::InvalidSyntax(wrap(m)),
            ScimError::Mutability(m) => ScimError::Mutability(wrap(m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_names_its_scim_type() {
        let cases = [
            (ScimError::InvalidFilter("a".into()), "invalidFilter"),
            (ScimError::InvalidPath("a".into()), "invalidPath"),
            (ScimError::NoTarget("a".into()), "noTarget"),
            (ScimError::InvalidValue("a".into()), "invalidValue"),
            (ScimError::InvalidSyntax("a".into()), "invalidSyntax"),
            (ScimError::Mutability("a".into()), "mutability"),
        ];
        for (error, scim_type) in cases {
            assert_eq!(error.scim_type(), scim_type);
            assert_eq!(error.to_string(), "a");
            assert_eq!(error.message(), "a");
        }
    }

    #[test]
    fn a_prefix_keeps_the_kind() {
        let error = ScimError::NoTarget("nothing matched".into()).prefixed("operation 2: ");
        assert_eq!(
            error,
            ScimError::NoTarget("operation 2: nothing matched".into())
        );
    }
}
