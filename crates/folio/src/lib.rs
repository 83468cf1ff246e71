//! The `folio` command: serve the API, run the workers, migrate, load demo data and run
//! operator tasks.

pub mod cli;
pub mod config;
pub mod demo;
pub mod operator;
pub mod serve;
pub mod telemetry;
pub mod work;

pub use config::Config;
