//! Everything that touches PostgreSQL. Functions take a pool or a transaction; a change
//! and its audit event always share one transaction.

pub mod accounts;
pub mod activity;
pub mod audit;
pub mod auth;
pub mod consent;
pub mod console_catalogue;
pub mod dashboard;
pub mod dsr;
pub mod expiry;
pub mod grants;
pub mod hygiene;
pub mod principals;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod roles;
pub mod sod;
pub mod tokens;
pub mod webhooks;

pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Postgres>;

/// Text made safe to put inside an ILIKE pattern: its wildcards match themselves.
pub fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
