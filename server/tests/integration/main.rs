//! Integration tests: each test gets its own PostgreSQL database and starts the real
//! application on a loopback port. One test binary for all of them keeps linking cheap.

mod common;

mod activity;
mod agent_tokens;
mod audit_chain;
mod audit_trail;
mod authorization;
mod birthright;
mod cli;
mod conditions;
mod consent;
mod decisions;
mod dsr;
mod faults;
mod fields;
mod forms;
mod grants;
mod hygiene;
mod instances;
mod malformed;
mod observability;
mod openapi;
mod packages;
mod passkeys;
mod principal_admin;
mod principals;
mod replica;
mod reports;
mod requests;
mod reviews;
mod roles;
mod scheduled;
mod scim;
mod second_factor;
mod security;
mod sign_in;
mod sign_on;
mod sod;
mod webhooks;
