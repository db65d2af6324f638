//! The Gatehouse server: configuration, the embedded database, HTTP routes that are not
//! pages, and the demo organisation.

pub mod api_v1;
pub mod config;
pub mod database;
pub mod demo;
pub mod embedded_pg;
pub mod forms;
pub mod http;
pub mod jobs;
pub mod observe;
pub mod scim;

/// The decision copy of a large organisation is millions of small allocations that live
/// for minutes beside the short-lived ones of each request; mimalloc keeps both fast
/// where the system allocator fragments (measured in `make bench`, decisions).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
