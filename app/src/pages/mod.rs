//! One file per page.

pub mod access;
pub mod accounts;
pub mod audit;
pub mod consent;
pub mod dormant;
pub mod dsr;
pub mod expiring;
pub mod fields;
pub mod home;
pub mod hygiene;
pub mod layout;
pub mod lifecycle;
pub mod login;
pub mod not_found;
pub mod packages;
pub mod principal;
pub mod principals;
pub mod requests;
pub mod reviews;
pub mod roles;
pub mod security;
pub mod sod;
pub mod tokens;
pub mod webhooks;
