//! The job queue: apalis storage in Redis, under a namespace so that several deployments
//! (or tests) can share one Redis.

use std::time::Duration;

use anyhow::Context;
use apalis::prelude::TaskSink;
use apalis_redis::{Config, RedisStorage};
use chrono::{DateTime, Utc};
use folio_domain::TenantId;
use redis::aio::ConnectionManager;

use crate::run::TenantJob;

/// How far past Redis's start runs count as lost with it (see [`JobQueue::lost_since`]).
const LOST_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// Where jobs wait, and how workers watch for each other.
#[derive(Clone)]
pub struct JobQueue {
    storage: RedisStorage<TenantJob>,
    conn: ConnectionManager,
    namespace: String,
}

/// How the queue's workers prove they are alive.
#[derive(Debug, Clone, Copy)]
pub struct Heartbeat {
    /// How often a worker says it is alive.
    pub interval: Duration,
    /// How many missed beats make a worker dead, its jobs handed to others.
    pub missed: usize,
}

impl Default for Heartbeat {
    /// A killed worker's jobs go back to the queue a minute after its last beat.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(20),
            missed: 3,
        }
    }
}

impl JobQueue {
    /// Connects to Redis; the queue is `{namespace}:jobs`. Fails fast if Redis is not
    /// there, with the address redacted by the caller.
    pub async fn connect(
        redis_url: &str,
        namespace: &str,
        heartbeat: Heartbeat,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(redis_url).context("the Redis URL")?;
        let conn = tokio::time::timeout(
            Duration::from_secs(5),
            client.get_connection_manager_with_config(
                redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(2)))
                    .set_response_timeout(Some(Duration::from_secs(5)))
                    .set_number_of_retries(2),
            ),
        )
        .await
        .context("connecting to Redis timed out")?
        .context("connecting to Redis")?;
        let config = Config::default()
            .queue(format!("{namespace}:jobs"))
            .heartbeat_interval(heartbeat.interval)
            .missed_heartbeats(heartbeat.missed);
        Ok(Self {
            storage: RedisStorage::new(conn.clone()).with_config(config),
            conn,
            namespace: namespace.to_owned(),
        })
    }

    /// Puts a job on the queue.
    pub async fn push(&self, job: TenantJob) -> anyhow::Result<()> {
        let mut storage = self.storage.clone();
        storage
            .push(job)
            .await
            .map_err(|e| anyhow::anyhow!("queuing a job in Redis: {e}"))
    }

    /// The storage, for a worker to consume.
    pub fn storage(&self) -> RedisStorage<TenantJob> {
        self.storage.clone()
    }

    /// Claims the right to queue one email sweep for `tenant` for the next `ttl`: true
    /// once, however many schedulers ask meanwhile, so a backlog of mail is swept by one
    /// job rather than one per scheduler per tick.
    pub async fn claim_sweep(&self, tenant: TenantId, ttl: Duration) -> anyhow::Result<bool> {
        let mut conn = self.conn.clone();
        let key = format!("{}:sweep:{}", self.namespace, tenant.0);
        let set: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
            .query_async(&mut conn)
            .await?;
        Ok(set.is_some())
    }

    /// When the queue last lost what it held, if it has since this deployment last
    /// looked: Redis restarted without its data (the machine's Redis keeps nothing on
    /// disk). The mark is a key set when the queue is known whole ([`JobQueue::mark_whole`]);
    /// when it is missing, everything queued before this Redis started is gone. The start
    /// is Redis's own clock less its uptime, plus [`LOST_MARGIN`]. `None` when the mark is
    /// there.
    pub async fn lost_since(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let mut conn = self.conn.clone();
        let (marked, (secs, micros), info): (bool, (i64, i64), String) = redis::pipe()
            .cmd("EXISTS")
            .arg(self.whole_key())
            .cmd("TIME")
            .cmd("INFO")
            .arg("server")
            .query_async(&mut conn)
            .await?;
        if marked {
            return Ok(None);
        }
        let uptime: i64 = info
            .lines()
            .find_map(|l| l.strip_prefix("uptime_in_seconds:"))
            .and_then(|v| v.trim().parse().ok())
            .context("Redis did not say how long it has been up")?;
        let now = DateTime::<Utc>::from_timestamp(secs, u32::try_from(micros * 1000).unwrap_or(0))
            .context("Redis's clock")?;
        // Leaning towards pushing again: a run queued in the first seconds of the new Redis
        // (a push that waited out the restart, clocks of Redis and PostgreSQL a little
        // apart) is pushed a second time rather than lost, and that second delivery finds
        // it running or done and is skipped.
        Ok(Some(now - chrono::TimeDelta::seconds(uptime) + LOST_MARGIN))
    }

    /// Marks the queue as whole, once the runs it lost have been put back to waiting.
    pub async fn mark_whole(&self) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(self.whole_key())
            .arg(Utc::now().to_rfc3339())
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }

    fn whole_key(&self) -> String {
        format!("{}:queue-whole-since", self.namespace)
    }

    /// Jobs waiting to be taken: those ready and those scheduled (apalis-redis files a
    /// job pushed "now" under its scheduled set until a worker's fetch moves it).
    pub async fn depth(&self) -> anyhow::Result<u64> {
        let mut conn = self.conn.clone();
        let config = self.storage.get_config();
        let (ready, scheduled): (u64, u64) = redis::pipe()
            .cmd("LLEN")
            .arg(config.active_jobs_list())
            .cmd("ZCARD")
            .arg(config.scheduled_jobs_set())
            .query_async(&mut conn)
            .await?;
        Ok(ready + scheduled)
    }
}

/// The queue as the API holds it: connected on first use and kept, so the API starts and
/// serves while Redis is away, and a request that needs the queue finds out then.
#[derive(Clone)]
pub struct QueueHandle {
    redis_url: String,
    namespace: String,
    heartbeat: Heartbeat,
    queue: std::sync::Arc<tokio::sync::OnceCell<JobQueue>>,
}

impl QueueHandle {
    /// A handle that connects to `redis_url` when first used.
    pub fn new(redis_url: &str, namespace: &str, heartbeat: Heartbeat) -> Self {
        Self {
            redis_url: redis_url.to_owned(),
            namespace: namespace.to_owned(),
            heartbeat,
            queue: std::sync::Arc::default(),
        }
    }

    /// The queue, connecting if it is not yet connected. (Once connected, the connection
    /// reconnects by itself after Redis comes back.)
    pub async fn get(&self) -> anyhow::Result<JobQueue> {
        self.queue
            .get_or_try_init(|| JobQueue::connect(&self.redis_url, &self.namespace, self.heartbeat))
            .await
            .cloned()
    }
}

impl folio_app::RunQueue for QueueHandle {
    fn push(
        &self,
        run: folio_app::QueuedRun,
    ) -> futures_util::future::BoxFuture<'_, anyhow::Result<()>> {
        Box::pin(async move {
            self.get()
                .await?
                .push(TenantJob {
                    tenant_id: run.tenant.0,
                    kind: run.kind,
                    run_on: run.run_on,
                    run_id: Some(run.run_id),
                })
                .await
        })
    }
}
