//! Whether the background work is alive, judged in one place from what the `folio work`
//! processes report on their heartbeats (`worker_processes`): by `/readyz` of the API, which
//! reads every process's report, and by a worker's own health endpoint, which judges its
//! own. Three findings:
//!
//! - `workers`: at least one worker process is alive (seen within [`MISSED_BEATS`] of its
//!   heartbeats and not stopped), and none of the live ones has a worker restarting after a
//!   failure;
//! - `scheduler`: the newest tick that went through is no older than the period plus a
//!   grace ([`scheduler_stale_after`]);
//! - `outbox`: no email that is due, as of that tick, has been due for more than
//!   [`OUTBOX_MAX_AGE`] (one waiting out its retry backoff is not yet due).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use folio_db::workers;

use crate::{Database, Result};

pub use folio_db::workers::WorkerProcess;

/// Heartbeats a worker process may miss before it counts as dead: the same rule the job
/// queue applies before handing a dead worker's jobs to another.
pub const MISSED_BEATS: i32 = 3;

/// How long an email may stay due without being sent before the outbox counts as stuck:
/// the sender takes due email within a tick or two, so half an hour means nobody is being
/// told what they should be.
pub const OUTBOX_MAX_AGE: Duration = Duration::from_secs(30 * 60);

/// How long after its last tick a scheduler counts as stalled: its period, plus the
/// period again (at least 10 s) for a tick that runs long over many tenants.
pub fn scheduler_stale_after(period: Duration) -> Duration {
    period + period.max(Duration::from_secs(10))
}

/// One finding about the background work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `workers`, `scheduler` or `outbox`.
    pub name: &'static str,
    /// Whether it is as it should be.
    pub ok: bool,
    /// What is wrong, in words, when it is not.
    pub detail: Option<String>,
}

impl Finding {
    fn ok(name: &'static str) -> Self {
        Self {
            name,
            ok: true,
            detail: None,
        }
    }

    fn wrong(name: &'static str, detail: String) -> Self {
        Self {
            name,
            ok: false,
            detail: Some(detail),
        }
    }
}

/// The findings from the processes' reports as of `now` (the database's clock, which
/// stamped them).
pub fn judge(processes: &[WorkerProcess], now: DateTime<Utc>) -> Vec<Finding> {
    let alive: Vec<&WorkerProcess> = processes.iter().filter(|p| is_alive(p, now)).collect();
    vec![
        judge_workers(processes, &alive),
        judge_scheduler(&alive, now),
        judge_outbox(&alive, now),
    ]
}

/// Reads the processes' reports and judges them.
pub async fn check(db: &Database) -> Result<Vec<Finding>> {
    let (processes, now) = workers::recent(db.pool(), Duration::from_secs(24 * 3600)).await?;
    Ok(judge(&processes, now))
}

/// Records a worker process's report (on each of its heartbeats, and as it stops).
pub async fn report(db: &Database, process: &WorkerProcess) -> Result<()> {
    Ok(workers::report(db.pool(), process).await?)
}

fn is_alive(p: &WorkerProcess, now: DateTime<Utc>) -> bool {
    p.stopped_at.is_none()
        && now - p.seen_at <= TimeDelta::seconds(i64::from(p.beat_secs) * i64::from(MISSED_BEATS))
}

fn secs(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

fn judge_workers(all: &[WorkerProcess], alive: &[&WorkerProcess]) -> Finding {
    const NAME: &str = "workers";
    if alive.is_empty() {
        let newest = all.iter().max_by_key(|p| p.seen_at);
        return Finding::wrong(
            NAME,
            match newest {
                None => "no worker process has reported: is `folio work` running?".into(),
                Some(p) if p.stopped_at.is_some() => format!(
                    "every worker process has stopped; the last, {}, at {}",
                    p.name,
                    p.seen_at.to_rfc3339()
                ),
                Some(p) => format!(
                    "no worker process has reported since {} ({} was the last)",
                    p.seen_at.to_rfc3339(),
                    p.name
                ),
            },
        );
    }
    match alive
        .iter()
        .find(|p| !p.jobs_running || !p.scheduler_running)
    {
        Some(p) => Finding::wrong(
            NAME,
            format!(
                "the {} of worker process {} is restarting after a failure ({} restarts so far)",
                if p.jobs_running {
                    "scheduler"
                } else {
                    "job worker"
                },
                p.name,
                p.restarts
            ),
        ),
        None => Finding::ok(NAME),
    }
}

fn judge_scheduler(alive: &[&WorkerProcess], now: DateTime<Utc>) -> Finding {
    const NAME: &str = "scheduler";
    let Some(period) = alive.iter().map(|p| p.tick_period_secs).max() else {
        return Finding::wrong(NAME, "no scheduler is running".into());
    };
    let period = Duration::from_secs(u64::try_from(period).unwrap_or(0));
    let stale_after = secs(scheduler_stale_after(period));
    let last_tick = alive.iter().filter_map(|p| p.last_tick_at).max();
    let since = last_tick.unwrap_or_else(|| {
        // None has ticked yet: judged from the first to start.
        alive.iter().map(|p| p.started_at).min().unwrap_or(now)
    });
    if now - since <= stale_after {
        return Finding::ok(NAME);
    }
    Finding::wrong(
        NAME,
        match last_tick {
            Some(t) => format!(
                "the scheduler last ticked at {}, {} s ago; it ticks every {} s",
                t.to_rfc3339(),
                (now - t).num_seconds(),
                period.as_secs()
            ),
            None => format!(
                "the scheduler has not ticked since its process started at {}",
                since.to_rfc3339()
            ),
        },
    )
}

fn judge_outbox(alive: &[&WorkerProcess], now: DateTime<Utc>) -> Finding {
    const NAME: &str = "outbox";
    let latest = alive
        .iter()
        .filter(|p| p.last_tick_at.is_some())
        .max_by_key(|p| p.last_tick_at);
    let Some(latest) = latest else {
        return Finding::wrong(NAME, "not known: no scheduler has reported it yet".into());
    };
    match latest.outbox_oldest_at {
        Some(oldest) if now - oldest > secs(OUTBOX_MAX_AGE) => Finding::wrong(
            NAME,
            format!(
                "{} emails are waiting; one has been due for {} minutes without being sent",
                latest.outbox_pending.unwrap_or(0),
                (now - oldest).num_minutes()
            ),
        ),
        _ => Finding::ok(NAME),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    /// A live process seen at 0 s, beating every 10 s, ticking every 60 s, last at 0 s.
    fn process() -> WorkerProcess {
        WorkerProcess {
            name: "w-1".into(),
            version: "0.1.0".into(),
            started_at: at(-600),
            seen_at: at(0),
            beat_secs: 10,
            jobs_running: true,
            scheduler_running: true,
            restarts: 0,
            tick_period_secs: 60,
            last_tick_at: Some(at(0)),
            outbox_pending: Some(0),
            outbox_oldest_at: None,
            stopped_at: None,
        }
    }

    fn wrong(findings: &[Finding]) -> Vec<&str> {
        findings.iter().filter(|f| !f.ok).map(|f| f.name).collect()
    }

    #[test]
    fn a_live_process_that_ticked_is_healthy() {
        assert!(wrong(&judge(&[process()], at(5))).is_empty());
    }

    #[test]
    fn a_process_not_seen_for_three_beats_is_dead() {
        // Beats every 10 s: seen at 0, dead after 3 × 10 = 30 s.
        assert!(wrong(&judge(&[process()], at(30))).is_empty());
        let findings = judge(&[process()], at(31));
        assert_eq!(wrong(&findings), ["workers", "scheduler", "outbox"]);
        assert!(
            findings[0]
                .detail
                .as_deref()
                .unwrap_or("")
                .contains("since")
        );
    }

    #[test]
    fn a_restarting_job_worker_is_named() {
        let p = WorkerProcess {
            jobs_running: false,
            restarts: 2,
            ..process()
        };
        let findings = judge(&[p], at(1));
        assert_eq!(wrong(&findings), ["workers"]);
        assert_eq!(
            findings[0].detail.as_deref(),
            Some(
                "the job worker of worker process w-1 is restarting after a failure (2 restarts so far)"
            )
        );
    }

    #[test]
    fn a_scheduler_is_stale_after_its_period_and_a_grace() {
        // Period 60 s, grace max(60 s, 10 s): stale after 120 s. Seen recently throughout.
        let p = |seen| WorkerProcess {
            seen_at: at(seen),
            ..process()
        };
        assert!(wrong(&judge(&[p(120)], at(120))).is_empty());
        assert_eq!(wrong(&judge(&[p(121)], at(121))), ["scheduler"]);
    }

    #[test]
    fn an_old_email_makes_the_outbox_stuck() {
        // Due 30 minutes before the check: still fine; 30 min and 1 s: stuck.
        let p = |oldest| WorkerProcess {
            outbox_pending: Some(4),
            outbox_oldest_at: Some(at(oldest)),
            ..process()
        };
        assert!(wrong(&judge(&[p(-1800 + 5)], at(5))).is_empty());
        let findings = judge(&[p(-1800 + 4)], at(5));
        assert_eq!(wrong(&findings), ["outbox"]);
        assert_eq!(
            findings[2].detail.as_deref(),
            Some("4 emails are waiting; one has been due for 30 minutes without being sent")
        );
    }

    #[test]
    fn a_stopped_process_does_not_count() {
        let p = WorkerProcess {
            stopped_at: Some(at(0)),
            ..process()
        };
        let findings = judge(&[p], at(1));
        assert_eq!(wrong(&findings), ["workers", "scheduler", "outbox"]);
        assert!(
            findings[0]
                .detail
                .as_deref()
                .unwrap_or("")
                .starts_with("every worker process has stopped")
        );
    }

    #[test]
    fn no_report_at_all_says_so() {
        let findings = judge(&[], at(0));
        assert_eq!(
            findings[0].detail.as_deref(),
            Some("no worker process has reported: is `folio work` running?")
        );
    }
}
