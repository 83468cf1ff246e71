//! The `folio` command: serve the API, migrate, load demo data and run operator tasks.

pub mod cli;
pub mod config;
pub mod demo;
pub mod operator;
pub mod serve;
pub mod telemetry;

pub use config::Config;
