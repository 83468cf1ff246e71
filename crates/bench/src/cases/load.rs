//! What the HTTP read cases (`api-read`, `pages`) share: sign-in sessions minted as sign-in
//! mints them, an in-process HTTP/1.1 load generator over keep-alive connections, and
//! `pgbench` runs whose per-transaction logs are read back over the same window, so both
//! sides are measured alike.

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use chrono::Utc;
use folio_app::credentials::TokenKind;
use folio_domain::TenantId;
use http_body_util::{BodyExt as _, Empty};
use hyper::header::HeaderName;
use uuid::Uuid;

use crate::ctx::{Ctx, Platform};
use crate::server::{self, Server};

/// Untimed seconds at the start of each measurement.
pub const WARM_UP: Duration = Duration::from_secs(3);

/// One request the load generator may send: a path and the credential it goes with.
#[derive(Debug, Clone)]
pub struct Target {
    /// The path (and query) to `GET`.
    pub path: String,
    /// The header that carries the caller's credential (`Authorization` or `Cookie`).
    pub credential: (HeaderName, String),
}

/// A sign-in session of a person of the platform.
#[derive(Debug, Clone)]
pub struct Session {
    /// Their tenant.
    pub tenant: Uuid,
    /// Who they are.
    pub user: Uuid,
    /// The token, as the browser's cookie or a bearer header carries it.
    pub token: String,
    /// Its hash, as stored.
    pub hash: [u8; 32],
}

/// A new sign-in session for each of `people` (tenant, user), minted and stored exactly as
/// sign-in does (`folio_app::credentials::mint`, `folio_db::auth::create_session`), one
/// tenant transaction per run of people of a tenant.
pub async fn sign_in(platform: &Platform, people: &[(Uuid, Uuid)]) -> anyhow::Result<Vec<Session>> {
    let mut out = Vec::with_capacity(people.len());
    let expires = Utc::now() + chrono::TimeDelta::hours(12);
    for chunk in people.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(tenant, _)) = chunk.first() else {
            continue;
        };
        let mut tx = platform.db.begin_tenant(TenantId(tenant)).await?;
        for &(_, user) in chunk {
            let minted = folio_app::credentials::mint(TokenKind::Session, TenantId(tenant));
            folio_db::auth::create_session(
                &mut tx,
                Uuid::now_v7(),
                user,
                &minted.hash,
                expires,
                folio_db::auth::SessionOrigin::Password,
            )
            .await?;
            out.push(Session {
                tenant,
                user,
                token: minted.token,
                hash: minted.hash,
            });
        }
        tx.commit().await?;
    }
    Ok(out)
}

/// What one measurement saw over its window.
#[derive(Debug, Clone, Default)]
pub struct Measurement {
    /// Completed in the window.
    pub requests: u64,
    /// Failed in the window (non-200, errors).
    pub errors: u64,
    /// Per request, microseconds, sorted.
    pub latencies_us: Vec<u64>,
    /// The window.
    pub seconds: f64,
    /// CPU seconds of the server process over the whole run (API only).
    pub server_cpu: f64,
    /// CPU seconds of the load-generating process over the whole run (API only).
    pub client_cpu: f64,
    /// Requests over the whole run (warm-up included), for CPU per request.
    pub all_requests: u64,
}

impl Measurement {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.seconds.max(1e-9)
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.latencies_us.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.latencies_us.len()) - 1;
        self.latencies_us.get(i).copied().unwrap_or(0) as f64 / 1000.0
    }
}

/// A small seeded generator (splitmix64) for picking learners.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// The load generator: `connections` connections, each one request after another, over
/// the warm-up and then `seconds`.
pub async fn drive(
    addr: SocketAddr,
    targets: Arc<Vec<Target>>,
    seed: u64,
    (connections, seconds): (usize, u64),
    server: &Server,
) -> anyhow::Result<Measurement> {
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        senders.push(server::connect::<Empty<Bytes>>(addr).await?);
    }
    let cpu_server = server.cpu_seconds();
    let cpu_client = server::cpu_seconds("/proc/self/stat");
    let started = Instant::now();
    let window_start = started + WARM_UP;
    let window_end = window_start + Duration::from_secs(seconds);
    let mut tasks = Vec::with_capacity(connections);
    for (i, mut sender) in senders.into_iter().enumerate() {
        let targets = targets.clone();
        let mut rng = SplitMix(seed ^ (i as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let host = addr.to_string();
        tasks.push(tokio::spawn(async move {
            let mut m = Measurement::default();
            loop {
                let sent = Instant::now();
                if sent >= window_end {
                    break;
                }
                let Some(t) = targets.get(rng.below(targets.len())) else {
                    break;
                };
                let request = hyper::Request::get(&t.path)
                    .header(hyper::header::HOST, &host)
                    .header(&t.credential.0, &t.credential.1)
                    .body(Empty::<Bytes>::new())?;
                sender.ready().await?;
                let response = sender.send_request(request).await?;
                let ok = response.status() == hyper::StatusCode::OK;
                let _body = response.into_body().collect().await?;
                let done = Instant::now();
                m.all_requests += 1;
                if done >= window_start && done <= window_end {
                    if ok {
                        m.requests += 1;
                        m.latencies_us.push(
                            u64::try_from(done.duration_since(sent).as_micros()).unwrap_or(0),
                        );
                    } else {
                        m.errors += 1;
                    }
                }
            }
            anyhow::Ok(m)
        }));
    }
    let mut total = Measurement {
        seconds: seconds as f64,
        ..Measurement::default()
    };
    for task in tasks {
        let m = task.await??;
        total.requests += m.requests;
        total.errors += m.errors;
        total.all_requests += m.all_requests;
        total.latencies_us.extend(m.latencies_us);
    }
    total.latencies_us.sort_unstable();
    total.server_cpu = server.cpu_seconds() - cpu_server;
    total.client_cpu = server::cpu_seconds("/proc/self/stat") - cpu_client;
    Ok(total)
}

/// Runs pgbench for the warm-up and `seconds`, each transaction one of `scripts` chosen at
/// random, and reads its per-transaction log.
pub async fn pgbench(
    ctx: &Ctx,
    database: &str,
    (scripts, dir): (&[PathBuf], &Path),
    threads: usize,
    (clients, seconds): (usize, u64),
) -> anyhow::Result<Measurement> {
    let url = url::Url::parse(&ctx.server_url).context("database URL")?;
    let logs = dir.join("pgbench-logs");
    let _ = tokio::fs::remove_dir_all(&logs).await;
    tokio::fs::create_dir_all(&logs).await?;
    let total = WARM_UP.as_secs() + seconds + 1;
    let mut command = tokio::process::Command::new("pgbench");
    command
        .args(["-n", "-M", "prepared"])
        .args(["-c", &clients.to_string()])
        .args(["-j", &threads.min(clients).to_string()])
        .args(["-T", &total.to_string()])
        .args(
            scripts
                .iter()
                .flat_map(|s| [OsStr::new("-f"), s.as_os_str()]),
        )
        .arg("-l")
        .arg(format!("--log-prefix={}", logs.join("tx").display()))
        .args(["-h", url.host_str().unwrap_or("127.0.0.1")])
        .args(["-p", &url.port().unwrap_or(5432).to_string()])
        .args([
            "-U",
            if url.username().is_empty() {
                "postgres"
            } else {
                url.username()
            },
        ])
        .arg(database)
        .current_dir(dir);
    if let Some(password) = url.password() {
        command.env("PGPASSWORD", password);
    }
    let out = command
        .output()
        .await
        .context("run pgbench (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "pgbench failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Lines: client, transaction, latency µs, script, end time (s), end time (µs part).
    let mut done: Vec<(f64, u64)> = Vec::new();
    let mut failed = 0;
    let mut entries = tokio::fs::read_dir(&logs).await?;
    while let Some(entry) = entries.next_entry().await? {
        let text = tokio::fs::read_to_string(entry.path()).await?;
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(latency), Some(secs), Some(micros)) = (f.get(2), f.get(4), f.get(5)) else {
                continue;
            };
            let end =
                secs.parse::<f64>().unwrap_or(0.0) + micros.parse::<f64>().unwrap_or(0.0) / 1e6;
            match latency.parse::<u64>() {
                Ok(us) => done.push((end, us)),
                Err(_) => failed += 1,
            }
        }
    }
    let first = done.iter().map(|d| d.0).fold(f64::INFINITY, f64::min);
    let (from, to) = (
        first + WARM_UP.as_secs_f64(),
        first + WARM_UP.as_secs_f64() + seconds as f64,
    );
    let mut latencies: Vec<u64> = done
        .iter()
        .filter(|d| d.0 >= from && d.0 <= to)
        .map(|d| d.1)
        .collect();
    latencies.sort_unstable();
    let _ = tokio::fs::remove_dir_all(&logs).await;
    Ok(Measurement {
        requests: latencies.len() as u64,
        errors: failed,
        latencies_us: latencies,
        seconds: seconds as f64,
        all_requests: done.len() as u64,
        ..Measurement::default()
    })
}

/// The load generator's threads (tokio's default: one per core), given to pgbench too.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
