//! Use cases: each does one thing inside one transaction, writes its audit event in
//! that same transaction, and is called alike from server functions, HTTP handlers
//! and the command line.

pub mod accounts;
pub mod admin;
pub mod audit_trail;
pub mod grants;
pub mod passwords;
pub mod principals;
pub mod roles;
pub mod sign_in;
