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
