//! Kinds of principal: people, bots, AI agents and integrations.

/// Kinds of principal, as the database names them.
pub const PRINCIPAL_KINDS: [&str; 4] = ["human", "ai_agent", "bot", "integration"];

/// A kind of principal as people read it.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "human" => "Person",
        "ai_agent" => "AI agent",
        "bot" => "Bot",
        "integration" => "Integration",
        _ => "Other",
    }
}

/// Where a principal stands. Offboarding is final; a suspended principal can be
/// reactivated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalStatus {
    Active,
    Suspended,
    Offboarded,
}

impl PrincipalStatus {
    pub const ALL: [PrincipalStatus; 3] = [
        PrincipalStatus::Active,
        PrincipalStatus::Suspended,
        PrincipalStatus::Offboarded,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// As the database names it.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalStatus::Active => "active",
            PrincipalStatus::Suspended => "suspended",
            PrincipalStatus::Offboarded => "offboarded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PrincipalStatus::Active => "Active",
            PrincipalStatus::Suspended => "Suspended",
            PrincipalStatus::Offboarded => "Offboarded",
        }
    }
}

impl std::fmt::Display for PrincipalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for PrincipalStatus {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        PrincipalStatus::parse(&raw).ok_or_else(|| format!("{raw:?} is not a principal status"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_as_written() {
        for status in PrincipalStatus::ALL {
            assert_eq!(PrincipalStatus::parse(status.as_str()), Some(status));
            assert_eq!(PrincipalStatus::try_from(status.to_string()), Ok(status));
        }
        assert_eq!(PrincipalStatus::parse("gone"), None);
        assert!(PrincipalStatus::try_from("Active".to_string()).is_err());
    }
}
