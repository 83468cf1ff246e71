//! Folio's end-to-end tests in one binary: each module a resource or a concern, each test
//! with its own database and the real API on a free port (see the `folio-tests` harness).
//! One binary rather than one per file: each would link the whole application again.
//! (`metrics.rs` stays a binary of its own: it reads the process's one metrics recorder,
//! which every other test here would be counting into at the same time.)

mod auditor_access;
mod auth;
mod bad_input;
mod catalog;
mod citus;
mod comments;
mod course_resources;
mod curriculum;
mod dashboard;
mod documents;
mod emails;
mod enrolments;
mod evidence;
mod exports;
mod gateway;
mod iqa_plans;
mod iqa_samples;
mod isolation;
mod journey;
mod learning_plan;
mod learning_plan_files;
mod messages;
mod openapi_conformance;
mod passwords;
mod profile;
mod progress;
mod reminders;
mod service;
mod sso;
mod storage_faults;
mod tenant_joins;
mod time_log;
mod tracks;
mod two_factor;
mod users;
mod web;
mod web_surface;
mod workers;
