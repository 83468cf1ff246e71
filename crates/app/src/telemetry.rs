//! Prometheus metrics: the names every Folio process reports under, the one recorder a
//! process installs, and the job, queue and email measurements. The API's HTTP metrics and
//! its `/metrics` endpoint are in `folio-api`; both render through [`render`].
//!
//! Labels are bounded sets (job kinds, outcomes, methods, route templates, status classes):
//! never a tenant, a person or anything else taken from the data.

use std::sync::OnceLock;
use std::time::Duration;

use folio_domain::jobs::JobKind;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Counter: HTTP requests answered, by `method`, `route` (the matched route template, e.g.
/// `/api/v1/enrolments/{id}`, or `unmatched`) and `status` (`2xx` … `5xx`).
pub const HTTP_REQUESTS_TOTAL: &str = "folio_http_requests_total";
/// Histogram: seconds to answer an HTTP request, by `method`, `route` and `status`.
pub const HTTP_REQUEST_DURATION: &str = "folio_http_request_duration_seconds";
/// Counter: job runs ended, by `job` (its kind, e.g. `send-emails`) and `outcome`
/// (`succeeded`, `failed`, or `skipped` for a run that no longer exists or already
/// succeeded).
pub const JOBS_TOTAL: &str = "folio_jobs_total";
/// Histogram: seconds a job took, by `job`.
pub const JOB_DURATION: &str = "folio_job_duration_seconds";
/// Gauge: jobs waiting in the queue, as of the scheduler's last tick in this process.
pub const JOB_QUEUE_DEPTH: &str = "folio_job_queue_depth";
/// Counter: email delivery attempts, by `outcome` (`sent`, `retrying`: failed for now and
/// to be tried again, `failed`: given up).
pub const EMAILS_TOTAL: &str = "folio_emails_total";

/// Counter: a worker of this process restarted after failing (Redis away, a dropped
/// connection), by `worker` (`jobs` or `scheduler`).
pub const WORKER_RESTARTS_TOTAL: &str = "folio_worker_restarts_total";
/// Gauge: when this process's scheduler last ticked through, as seconds since the epoch.
pub const SCHEDULER_LAST_TICK: &str = "folio_scheduler_last_tick_timestamp_seconds";
/// Gauge: emails waiting to be delivered in every tenant, as of the last tick.
pub const OUTBOX_PENDING: &str = "folio_outbox_pending";
/// Gauge: seconds the longest-due email had been due at the last tick (0 when none due).
pub const OUTBOX_OLDEST_AGE: &str = "folio_outbox_oldest_age_seconds";
/// Gauge, always 1: the build this process runs, by `version`.
pub const BUILD_INFO: &str = "folio_build_info";

/// Buckets for request latencies: 5 ms to 30 s.
const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Buckets for job durations: 100 ms to an hour.
const JOB_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's Prometheus recorder, once however often it is called (the tests
/// start many apps in one process), and returns the handle that renders it. Measurements
/// taken before the first call are lost, so every process calls it as it starts (the API's
/// `app`, the workers' `run`). If another recorder was installed first, this one is kept
/// for rendering but records nothing, and a warning says so.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(HTTP_REQUEST_DURATION.into()),
                HTTP_BUCKETS,
            )
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(JOB_DURATION.into()), JOB_BUCKETS))
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|e| {
                // Only an empty bucket list is refused, and ours are not empty.
                tracing::warn!(error = %e, "metrics buckets refused; reporting summaries");
                PrometheusBuilder::new().build_recorder()
            });
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %e, "another metrics recorder is installed; /metrics stays empty");
        }
        describe();
        metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        // Histogram samples are buffered until folded into their buckets, which a scrape
        // does; this keeps memory flat in a process nobody scrapes.
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
        }
        handle
    })
}

/// The process's metrics in the Prometheus text exposition format.
pub fn render() -> String {
    install().render()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(HTTP_REQUESTS_TOTAL, "HTTP requests answered");
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request"
    );
    describe_counter!(JOBS_TOTAL, "Background job runs ended");
    describe_histogram!(JOB_DURATION, Unit::Seconds, "Time a background job took");
    describe_gauge!(JOB_QUEUE_DEPTH, "Jobs waiting in the queue");
    describe_counter!(EMAILS_TOTAL, "Email delivery attempts");
    describe_counter!(WORKER_RESTARTS_TOTAL, "Workers restarted after failing");
    describe_gauge!(
        SCHEDULER_LAST_TICK,
        Unit::Seconds,
        "When the scheduler last ticked through"
    );
    describe_gauge!(OUTBOX_PENDING, "Emails waiting to be delivered");
    describe_gauge!(
        OUTBOX_OLDEST_AGE,
        Unit::Seconds,
        "How long the longest-due email has been due"
    );
    describe_gauge!(BUILD_INFO, "The build this process runs");
}

/// Records a worker (`jobs` or `scheduler`) restarted after failing.
pub fn worker_restarted(worker: &'static str) {
    metrics::counter!(WORKER_RESTARTS_TOTAL, "worker" => worker).increment(1);
}

/// Records a scheduler tick that went through at `at`, and the outbox it saw.
#[allow(clippy::cast_precision_loss)] // counts and seconds far below 2^52
pub fn scheduler_ticked(
    at: chrono::DateTime<chrono::Utc>,
    outbox_pending: i64,
    outbox_oldest: Option<chrono::DateTime<chrono::Utc>>,
) {
    metrics::gauge!(SCHEDULER_LAST_TICK).set(at.timestamp_millis() as f64 / 1000.0);
    metrics::gauge!(OUTBOX_PENDING).set(outbox_pending as f64);
    let age = outbox_oldest.map_or(0.0, |o| (at - o).num_milliseconds().max(0) as f64 / 1000.0);
    metrics::gauge!(OUTBOX_OLDEST_AGE).set(age);
}

/// Records a job run that ended: `ok` or not, after `elapsed`.
pub fn job_finished(kind: JobKind, ok: bool, elapsed: Duration) {
    let outcome = if ok { "succeeded" } else { "failed" };
    metrics::counter!(JOBS_TOTAL, "job" => kind.as_str(), "outcome" => outcome).increment(1);
    metrics::histogram!(JOB_DURATION, "job" => kind.as_str()).record(elapsed.as_secs_f64());
}

/// Records a job run skipped: its record is gone, or it already succeeded.
pub fn job_skipped(kind: JobKind) {
    metrics::counter!(JOBS_TOTAL, "job" => kind.as_str(), "outcome" => "skipped").increment(1);
}

/// Records how many jobs wait in the queue.
pub fn queue_depth(depth: u64) {
    #[allow(clippy::cast_precision_loss)] // a queue never holds 2^52 jobs
    metrics::gauge!(JOB_QUEUE_DEPTH).set(depth as f64);
}

/// Records an email delivery attempt: `sent`, `retrying` or `failed`.
pub fn email_attempt(outcome: &'static str) {
    metrics::counter!(EMAILS_TOTAL, "outcome" => outcome).increment(1);
}
