//! Gatehouse's rules: no database, no web types, no I/O. Each rule is a plain function
//! with its unit tests beside it; `cargo test -p rules` runs them alone.

pub mod activity;
pub mod audit;
pub mod audit_chain;
pub mod birthright;
pub mod consent;
pub mod console;
pub mod dsr;
pub mod effective;
pub mod error;
pub mod failsafe;
pub mod hygiene;
pub mod operations;
pub mod packages;
pub mod policy;
pub mod principals;
pub mod reports;
pub mod requests;
pub mod role_matrix;
pub mod scim;
pub mod second_factor;
pub mod sign_in_throttle;
pub mod sign_on;
pub mod sod;
pub mod validation;
pub mod web_security;
pub mod webhooks;
