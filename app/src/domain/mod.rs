//! Pure rules: no database, no web types. Each rule is a plain function with unit tests.

pub mod activity;
pub mod consent;
pub mod console;
pub mod dsr;
pub mod effective;
pub mod hygiene;
pub mod reports;
pub mod requests;
pub mod role_matrix;
pub mod sign_in_throttle;
pub mod sod;
pub mod validation;
pub mod web_security;
pub mod webhooks;
