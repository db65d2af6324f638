//! Server functions, one file per area. Each begins by checking who is calling.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod consent;
pub mod dashboard;
pub mod dsr;
pub mod grants;
#[cfg(feature = "ssr")]
pub mod guard;
pub mod lifecycle;
pub mod packages;
pub mod principals;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod roles;
pub mod security;
pub mod sod;
pub mod tokens;
pub mod webhooks;
