//! What this `folio work` process's workers are doing: whether each is running or
//! restarting after a failure, how often they were restarted, and the scheduler's last
//! tick with the outbox it saw. Reported to PostgreSQL on every heartbeat (for every
//! process's `/readyz`), served on the process's own health endpoints, and exported as
//! metrics; judged by [`folio_app::background`], the one place the rules live.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use folio_app::background::{self, Finding, WorkerProcess};

use crate::scheduler::TickReport;

/// One of the process's two workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Consumes the job queue.
    Jobs,
    /// Ticks the scheduler.
    Scheduler,
}

impl Role {
    /// Its name in logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Jobs => "jobs",
            Role::Scheduler => "scheduler",
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct LastTick {
    at: Option<DateTime<Utc>>,
    outbox_pending: Option<i64>,
    outbox_oldest: Option<DateTime<Utc>>,
}

/// The process's worker state, shared by its workers, its heartbeat and its endpoints.
#[derive(Debug)]
pub struct WorkerHealth {
    name: String,
    started_at: DateTime<Utc>,
    beat: Duration,
    tick_period: Duration,
    jobs_running: AtomicBool,
    scheduler_running: AtomicBool,
    restarts: AtomicI64,
    stopped: AtomicBool,
    last_tick: Mutex<LastTick>,
}

impl WorkerHealth {
    /// The state of a process named `name` that beats every `beat` and whose scheduler
    /// ticks on `schedule`; its workers are not running yet.
    pub fn new(name: &str, beat: Duration, schedule: &cron::Schedule) -> Self {
        Self {
            name: name.to_owned(),
            started_at: Utc::now(),
            beat,
            tick_period: tick_period(schedule),
            jobs_running: AtomicBool::new(false),
            scheduler_running: AtomicBool::new(false),
            restarts: AtomicI64::new(0),
            stopped: AtomicBool::new(false),
            last_tick: Mutex::new(LastTick::default()),
        }
    }

    /// The longest gap between the scheduler's ticks.
    pub fn tick_period(&self) -> Duration {
        self.tick_period
    }

    pub(crate) fn set_running(&self, role: Role, running: bool) {
        let flag = match role {
            Role::Jobs => &self.jobs_running,
            Role::Scheduler => &self.scheduler_running,
        };
        flag.store(running, Ordering::SeqCst);
    }

    pub(crate) fn restarted(&self, role: Role) {
        self.restarts.fetch_add(1, Ordering::SeqCst);
        folio_app::telemetry::worker_restarted(role.as_str());
    }

    pub(crate) fn stopped(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Records a tick that went through, at `at`.
    pub(crate) fn ticked(&self, at: DateTime<Utc>, report: &TickReport) {
        let tick = LastTick {
            at: Some(at),
            outbox_pending: Some(report.outbox_pending),
            outbox_oldest: report.outbox_oldest,
        };
        if let Ok(mut last) = self.last_tick.lock() {
            *last = tick;
        }
        folio_app::telemetry::scheduler_ticked(at, report.outbox_pending, report.outbox_oldest);
    }

    /// The process's report as of now.
    pub fn snapshot(&self) -> WorkerProcess {
        let now = Utc::now();
        let tick = self.last_tick.lock().map(|t| *t).unwrap_or_default();
        WorkerProcess {
            name: self.name.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at: self.started_at,
            seen_at: now,
            beat_secs: i32::try_from(self.beat.as_secs().max(1)).unwrap_or(i32::MAX),
            jobs_running: self.jobs_running.load(Ordering::SeqCst),
            scheduler_running: self.scheduler_running.load(Ordering::SeqCst),
            restarts: self.restarts.load(Ordering::SeqCst),
            tick_period_secs: i32::try_from(self.tick_period.as_secs().max(1)).unwrap_or(i32::MAX),
            last_tick_at: tick.at,
            outbox_pending: tick.outbox_pending,
            outbox_oldest_at: tick.outbox_oldest,
            stopped_at: self.stopped.load(Ordering::SeqCst).then_some(now),
        }
    }

    /// This process's findings, judged by the rules every process's `/readyz` applies.
    pub fn findings(&self) -> Vec<Finding> {
        let me = self.snapshot();
        let now = me.seen_at;
        background::judge(&[me], now)
    }
}

/// The longest gap between consecutive ticks of `schedule` over its next few.
fn tick_period(schedule: &cron::Schedule) -> Duration {
    let upcoming: Vec<DateTime<Utc>> = schedule.upcoming(Utc).take(25).collect();
    upcoming
        .windows(2)
        .filter_map(|w| (w[1] - w[0]).to_std().ok())
        .max()
        .unwrap_or(Duration::from_secs(60))
}

/// Reports the process's state to PostgreSQL every beat until `stop` fires, then once
/// more as stopped. A report that fails (PostgreSQL away) is logged and the next beat
/// tries again: the process goes on working meanwhile.
pub async fn beat(
    db: folio_app::Database,
    health: std::sync::Arc<WorkerHealth>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // The first report as soon as both workers have started (within a beat at most), so
    // that the runs this process takes are known from the start to be a live process's;
    // then one every beat.
    let started = async {
        while !(health.jobs_running.load(Ordering::SeqCst)
            && health.scheduler_running.load(Ordering::SeqCst))
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        _ = tokio::time::timeout(health.beat, started) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
    let mut every =
        tokio::time::interval_at(tokio::time::Instant::now() + health.beat, health.beat);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut due = !*stop.borrow();
    while due {
        if let Err(e) = background::report(&db, &health.snapshot()).await {
            tracing::warn!(error = %e, "cannot report this worker process's health");
        }
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => due = false,
        }
    }
    health.stopped();
    // Bounded: with PostgreSQL away the process still stops promptly (the report then
    // lapses by itself after three beats).
    let stopped = health.snapshot();
    let last = background::report(&db, &stopped);
    match tokio::time::timeout(std::time::Duration::from_secs(3), last).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "cannot report this worker process as stopped"),
        Err(_) => tracing::warn!("reporting this worker process as stopped timed out"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tick_period_is_the_longest_gap() {
        let every_minute: cron::Schedule = "0 * * * * *".parse().unwrap();
        assert_eq!(tick_period(&every_minute), Duration::from_secs(60));
        // 02:00 and 02:30 each day: the longest gap is 23 h 30 min = 84,600 s.
        let twice: cron::Schedule = "0 0,30 2 * * *".parse().unwrap();
        assert_eq!(tick_period(&twice), Duration::from_secs(84_600));
    }
}
