//! The Gatehouse server: configuration, the embedded database, HTTP routes that are not
//! pages, and the demo organisation.

pub mod config;
pub mod database;
pub mod demo;
pub mod embedded_pg;
pub mod http;
pub mod jobs;
