//! The `folio` binary's own tests in one test binary (one link of the application, not
//! five): its commands (`cli`), `folio work` (`work`), several instances side by side
//! (`instances`), the demo in a real browser (`browser`) and the deployment files
//! (`infra`).

mod browser;
mod cli;
mod infra;
mod instances;
mod resilience;
mod work;
