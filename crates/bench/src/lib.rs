//! What the benchmark binary shares with the end-to-end tests: code that exists only to be
//! measured against, kept out of the production crates.

pub mod baseline;
