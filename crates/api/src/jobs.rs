//! Background jobs as admins see them: the nightly timetable, running a job now for the
//! organisation, the record of runs, and how email delivery is going (failed emails
//! included). Admins only.
//!
//! A run asked for here is recorded in PostgreSQL first and then pushed to the queue. If
//! Redis is away the answer is still 202 with the run `requested`: the workers' scheduler
//! queues every waiting run once it can, so nothing asked for is lost.
//!
//! Adapters over `folio_app::runs`.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use folio_app::paging::page_limit;
use folio_app::runs::{self, JobRun};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::json_body::JsonBody;
use crate::principal::Credentials;
use crate::problem::ApiResult;

#[derive(Tags)]
enum JobsTag {
    /// Background jobs: the nightly timetable, runs, and email delivery.
    Jobs,
}

/// `/api/v1/jobs…` and `/api/v1/emails`.
pub struct JobsApi(pub AppState);

/// A job and when it runs.
#[derive(Debug, Object)]
struct JobBody {
    /// Its name, as used in `/jobs/{name}/runs` and `folio job run`.
    name: String,
    /// When it runs each day in the organisation's time zone (`HH:MM`); absent for email
    /// delivery, which runs whenever email is waiting.
    daily_at: Option<String>,
    /// The organisation's time zone.
    timezone: String,
}

/// One run of a job.
#[derive(Debug, Object)]
struct JobRunBody {
    /// Id.
    id: Uuid,
    /// The job.
    job: String,
    /// The organisation's local date it runs for.
    run_on: NaiveDate,
    /// `schedule`, `admin` or `operator`.
    trigger: String,
    /// The admin who asked for it.
    requested_by: Option<Uuid>,
    /// `requested` (waiting for the queue), `queued`, `running`, `succeeded` or `failed`
    /// (its last attempt failed; the queue retries it).
    status: String,
    /// Attempts started.
    attempts: i32,
    /// What it did (counts), once it has succeeded.
    report: Option<serde_json::Value>,
    /// Why its last attempt failed.
    last_error: Option<String>,
    /// Asked for.
    requested_at: DateTime<Utc>,
    /// Put on the queue.
    queued_at: Option<DateTime<Utc>>,
    /// Its latest attempt started.
    started_at: Option<DateTime<Utc>>,
    /// Its latest attempt ended.
    finished_at: Option<DateTime<Utc>>,
}

impl From<JobRun> for JobRunBody {
    fn from(r: JobRun) -> Self {
        Self {
            id: r.id,
            job: r.kind,
            run_on: r.run_on,
            trigger: r.trigger,
            requested_by: r.requested_by,
            status: r.status,
            attempts: r.attempts,
            report: r.report,
            last_error: r.last_error,
            requested_at: r.requested_at,
            queued_at: r.queued_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

/// What to run: `{}` for today.
#[derive(Debug, Default, Object, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunRequest {
    /// The organisation's day to run it for (default: today there). Up to a year back, to
    /// make up a missed night; never a future day.
    date: Option<NaiveDate>,
}

#[derive(ApiResponse)]
enum RunAccepted {
    /// Recorded, and queued unless the queue is unreachable (then `requested`, queued by
    /// the workers as soon as it is back). Follow the run at `/jobs/runs/{id}`.
    #[oai(status = 202)]
    Accepted(Json<JobRunBody>),
}

/// Runs, newest first.
#[derive(Debug, Object)]
struct JobRunList {
    /// Runs.
    items: Vec<JobRunBody>,
}

/// An email's delivery state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
enum EmailStatus {
    /// Waiting to be sent, or to be tried again.
    Pending,
    /// Delivered to the mail server.
    Sent,
    /// Given up on: see `last_error`.
    Failed,
}

impl From<EmailStatus> for runs::EmailStatus {
    fn from(s: EmailStatus) -> Self {
        match s {
            EmailStatus::Pending => runs::EmailStatus::Pending,
            EmailStatus::Sent => runs::EmailStatus::Sent,
            EmailStatus::Failed => runs::EmailStatus::Failed,
        }
    }
}

/// An email in the outbox.
#[derive(Debug, Object)]
struct EmailBody {
    /// Id (the message's `Message-ID` is `<id@folio>`).
    id: Uuid,
    /// What it is about, e.g. `overdue-actions:{learner}:{date}`: one email per key.
    dedup_key: String,
    /// The recipient.
    to_user_id: Uuid,
    /// Its template.
    template: String,
    /// `pending`, `sent` or `failed`.
    status: String,
    /// Delivery attempts so far.
    attempts: i32,
    /// Why the last attempt failed.
    last_error: Option<String>,
    /// Queued.
    created_at: DateTime<Utc>,
    /// The next attempt, while pending.
    next_attempt_at: Option<DateTime<Utc>>,
    /// Delivered.
    sent_at: Option<DateTime<Utc>>,
    /// Given up.
    failed_at: Option<DateTime<Utc>>,
}

/// Emails, newest first.
#[derive(Debug, Object)]
struct EmailList {
    /// Emails.
    items: Vec<EmailBody>,
}

#[OpenApi(prefix_path = "/api/v1", tag = "JobsTag::Jobs")]
impl JobsApi {
    /// Every background job and when it runs in the organisation's time zone (admins).
    #[oai(path = "/jobs", method = "get")]
    async fn jobs(&self, credentials: Credentials) -> ApiResult<Json<Vec<JobBody>>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let jobs = runs::timetable(&mut uow).await?;
        uow.commit().await?;
        Ok(Json(
            jobs.into_iter()
                .map(|job| JobBody {
                    name: job.kind.as_str().to_owned(),
                    daily_at: job
                        .daily_at
                        .map(|t: NaiveTime| t.format("%H:%M").to_string()),
                    timezone: job.timezone,
                })
                .collect(),
        ))
    }

    /// Run a job now for the organisation (admins). Jobs are idempotent: running one again
    /// for the same day sends nobody a second email. An unknown job is 404.
    #[oai(path = "/jobs/:name/runs", method = "post")]
    async fn run(
        &self,
        credentials: Credentials,
        name: Path<String>,
        body: JsonBody<RunRequest>,
    ) -> ApiResult<RunAccepted> {
        let uow = self.0.authenticate(&credentials).await?;
        let state = &self.0;
        let run = runs::request(uow, &state.db, &state.runs, &name.0, body.0.date).await?;
        Ok(RunAccepted::Accepted(Json(run.into())))
    }

    /// The organisation's job runs, newest first, optionally of one job (admins).
    #[oai(path = "/jobs/runs", method = "get")]
    async fn runs(
        &self,
        credentials: Credentials,
        /// Only runs of this job.
        job: Query<Option<String>>,
        /// At most this many, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<JobRunList>> {
        let limit = page_limit(limit.0)?;
        let mut uow = self.0.authenticate(&credentials).await?;
        let runs = runs::list(&mut uow, job.0.as_deref(), limit).await?;
        uow.commit().await?;
        Ok(Json(JobRunList {
            items: runs.into_iter().map(Into::into).collect(),
        }))
    }

    /// One job run (admins; 404 for another organisation's).
    #[oai(path = "/jobs/runs/:id", method = "get")]
    async fn get_run(
        &self,
        credentials: Credentials,
        id: Path<Uuid>,
    ) -> ApiResult<Json<JobRunBody>> {
        let mut uow = self.0.authenticate(&credentials).await?;
        let run = runs::get(&mut uow, id.0).await?;
        uow.commit().await?;
        Ok(Json(run.into()))
    }

    /// The organisation's emails in one delivery state, newest first (admins): `failed`
    /// shows what could not be delivered and why.
    #[oai(path = "/emails", method = "get")]
    async fn emails(
        &self,
        credentials: Credentials,
        /// The delivery state.
        status: Query<EmailStatus>,
        /// At most this many, 1-200 (default 50).
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<EmailList>> {
        let limit = page_limit(limit.0)?;
        let mut uow = self.0.authenticate(&credentials).await?;
        let emails = runs::emails(&mut uow, status.0.into(), limit).await?;
        uow.commit().await?;
        Ok(Json(EmailList {
            items: emails
                .into_iter()
                .map(|e| EmailBody {
                    next_attempt_at: (e.status == "pending").then_some(e.next_attempt_at),
                    id: e.id,
                    dedup_key: e.dedup_key,
                    to_user_id: e.to_user_id,
                    template: e.template,
                    status: e.status,
                    attempts: e.attempts,
                    last_error: e.last_error,
                    created_at: e.created_at,
                    sent_at: e.sent_at,
                    failed_at: e.failed_at,
                })
                .collect(),
        }))
    }
}
