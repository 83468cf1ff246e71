//! Folio's real HTTP server in a child process, for the cases that measure the API
//! (`api-read`, `upload`): this binary re-run as `serve-child`, which loads Folio's
//! configuration from `FOLIO_*` variables exactly as `folio serve` does
//! (`folio::Config::load`), installs the same logging (`folio::telemetry::init`, one line
//! per request at `info`, written to a file) and runs `folio::serve::serve_until`: the
//! whole `folio::serve::http_app` on a TCP listener. A process of its own, so the load generator
//! does not share its runtime and its memory is measured alone. It stops when its
//! standard input closes.
//!
//! Client side: HTTP/1.1 connections with keep-alive on hyper (already in the tree through
//! reqwest), one per simulated client.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use crate::ctx::Ctx;

/// The child's side: serve until standard input closes.
pub async fn child() -> anyhow::Result<()> {
    let (config, warnings) = folio::Config::load(None)?;
    folio::telemetry::init(&config);
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    let stdin_closed = async {
        let mut sink = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    };
    folio::serve::serve_until(
        &config,
        |addr| {
            use std::io::Write as _;
            println!("listening {addr}");
            let _ = std::io::stdout().flush();
        },
        stdin_closed,
    )
    .await
}

/// A running server child.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its process id.
    pub pid: u32,
    /// Its log.
    pub log: PathBuf,
}

impl Server {
    /// Starts Folio's server on `database` with its files under `data_dir` and `env` on
    /// top of the defaults; returns once it listens.
    pub async fn start(
        ctx: &Ctx,
        database: &str,
        data_dir: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        tokio::fs::create_dir_all(data_dir).await?;
        let log = data_dir.join("server.log");
        let exe = std::env::current_exe().context("find the benchmark's own executable")?;
        let mut command = Command::new(exe);
        command
            .arg("serve-child")
            .env("FOLIO_DATABASE_URL", ctx.database_url(database)?)
            .env("FOLIO_LISTEN", "127.0.0.1:0")
            .env("FOLIO_DATA_DIR", data_dir)
            .env("FOLIO_LOG", "info")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .kill_on_drop(true);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().context("start the server child")?;
        let stdout = child.stdout.take().context("the server child's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .context("the server did not start within a minute")??;
        let Some(addr) = line
            .as_deref()
            .and_then(|l| l.strip_prefix("listening "))
            .and_then(|a| a.trim().parse().ok())
        else {
            bail!(
                "the server child did not start (see {}): {line:?}",
                log.display()
            );
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let pid = child.id().context("the server child has no pid")?;
        let stdin = child.stdin.take();
        Ok(Server {
            child,
            stdin,
            addr,
            pid,
            log,
        })
    }

    /// A `/proc/<pid>/status` figure in KiB (`VmRSS`, `VmHWM`).
    pub fn status_kib(&self, key: &str) -> u64 {
        proc_status_kib(&format!("/proc/{}/status", self.pid), key)
    }

    /// Resets the peak resident set (`VmHWM`) to the current one.
    pub fn reset_peak(&self) -> anyhow::Result<()> {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5")
            .context("reset the server's peak RSS")
    }

    /// CPU time the server process has used, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&format!("/proc/{}/stat", self.pid))
    }

    /// Stops the server (it finishes in-flight requests) and waits for it.
    pub async fn stop(mut self) {
        drop(self.stdin.take());
        if tokio::time::timeout(Duration::from_secs(40), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// A figure of a `/proc/…/status` file, in KiB.
pub fn proc_status_kib(file: &str, key: &str) -> u64 {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|s| {
            s.lines().find_map(|line| {
                let rest = line.strip_prefix(key)?.strip_prefix(':')?;
                rest.split_whitespace().next()?.parse().ok()
            })
        })
        .unwrap_or(0)
}

/// User + system CPU seconds from a `/proc/…/stat` file (clock ticks of 1/100 s, Linux's
/// `USER_HZ`).
pub fn cpu_seconds(file: &str) -> f64 {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|s| {
            // The command name (field 2) may hold spaces; fields after its `)` are fixed.
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

/// One keep-alive HTTP/1.1 connection to `addr` (`TCP_NODELAY`, as browsers and load
/// balancers set it).
pub async fn connect<B>(addr: SocketAddr) -> anyhow::Result<SendRequest<B>>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}
