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

/// The memory allocator of every program that links Folio (`folio`, `folio-bench`, the
/// tests): jemalloc. Each export row's text is allocated on the task that reads the database
/// and freed on the thread that writes the workbook; with glibc's malloc that traffic between
/// threads made a million-row export about a third slower (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
