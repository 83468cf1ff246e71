//! A 1 GiB evidence upload through the real HTTP API against `cp` of the same file on the
//! same disk, in the same run, with the server's memory measured around the upload.
//!
//! Folio: `POST /api/v1/enrolments/{id}/evidence` of Folio's own server in a child process
//! ([`crate::server`], storage on the local filesystem under its data directory), sent
//! as a browser's form post sends it: `multipart/form-data` with a `Content-Length`, the
//! text fields first and the file last, streamed from the source file by the client. The
//! server streams the file part into the store while hashing it (SHA-256) and counting it
//! against the organisation's limit, then records the evidence; the request ends with its
//! 201. The stored size and hash are checked against the source's.
//!
//! Baseline: `cp` of the same file into the same directory tree, and `cp` followed by
//! `sync` of the copy (the store syncs each file before it is recorded, so that is the
//! like-for-like durable copy).
//!
//! Memory: the server's `VmRSS` just before each upload and its peak (`VmHWM`, reset
//! through `/proc/<pid>/clear_refs` before the upload) after it.
//!
//! The organisation's evidence size limit (the tenant setting `evidence_max_bytes`,
//! 512 MiB by default, at most 5 GiB) is raised to 2 GiB for the run, as an admin would
//! set it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use chrono::Utc;
use folio_app::credentials::TokenKind;
use folio_domain::TenantId;
use futures_util::StreamExt as _;
use http_body_util::{BodyExt as _, StreamBody};
use hyper::body::Frame;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncReadExt as _;
use uuid::Uuid;

use crate::cases::{CaseResult, Row, SQL_HELPERS};
use crate::ctx::{Ctx, median, secs};
use crate::server::{self, Server};

/// How much of the source the client reads at a time.
const CLIENT_CHUNK: usize = 256 * 1024;

/// One tenant, an admin, a learner on a course with one component, the raised limit.
const LOAD: &[&str] = &[
    "insert into tenants (id, slug, name) values (bench_uuid(0, 1), 'bench', 'Bench Training')",
    "insert into tenant_settings (tenant_id, settings)
     values (bench_uuid(0, 1), jsonb_build_object('evidence_max_bytes', 2147483648))",
    "insert into users (tenant_id, id, email, name) values
     (bench_uuid(0, 1), bench_uuid(1, 1), 'learner1@bench.example', 'Learner 1'),
     (bench_uuid(0, 1), bench_uuid(2, 1), 'assessor1@bench.example', 'Assessor 1')",
    "insert into user_roles (tenant_id, user_id, role) values
     (bench_uuid(0, 1), bench_uuid(1, 1), 'learner'), (bench_uuid(0, 1), bench_uuid(2, 1), 'assessor')",
    "insert into courses (tenant_id, id, code, title)
     values (bench_uuid(0, 1), bench_uuid(3, 1), 'ST0001', 'Standard 1')",
    "insert into components (tenant_id, id, course_id, title, position)
     values (bench_uuid(0, 1), bench_uuid(4, 1), bench_uuid(3, 1), 'Knowledge', 1)",
    "insert into enrolments (tenant_id, id, learner_id, course_id, start_date, planned_end_date,
                             assessor_id, contracted_hours_per_week, planned_otj_hours, status,
                             learning_started_on)
     values (bench_uuid(0, 1), bench_uuid(7, 1), bench_uuid(1, 1), bench_uuid(3, 1), current_date - 100,
             current_date + 300, bench_uuid(2, 1), 37.5, 280, 'in_learning', current_date - 100)",
];

/// Writes `bytes` of seeded pseudo-random content to `path`; returns its SHA-256.
async fn source_file(path: &Path, bytes: u64, seed: i64) -> anyhow::Result<[u8; 32]> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> anyhow::Result<[u8; 32]> {
        use std::io::Write as _;
        let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        let mut hasher = Sha256::new();
        let mut state = u64::from_le_bytes(seed.to_le_bytes()) | 1;
        let mut block = vec![0u8; 1 << 20];
        let mut left = bytes;
        while left > 0 {
            for word in block.chunks_exact_mut(8) {
                // xorshift64*: incompressible enough, and fast.
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                word.copy_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
            }
            let n = usize::try_from(left.min(block.len() as u64)).unwrap_or(block.len());
            let part = block.get(..n).unwrap_or_default();
            hasher.update(part);
            file.write_all(part)?;
            left -= n as u64;
        }
        file.flush()?;
        Ok(hasher.finalize().into())
    })
    .await?
}

/// What one upload measured.
#[derive(Debug, Clone)]
struct Upload {
    took: Duration,
    rss_before_kib: u64,
    peak_kib: u64,
    rss_after_kib: u64,
    /// CPU seconds of the server and of this (the client's) process during the upload.
    server_cpu: f64,
    client_cpu: f64,
}

/// Posts the evidence form with `source` as its file, as a browser does.
async fn upload(
    server: &Server,
    token: &str,
    enrolment: Uuid,
    component: Uuid,
    source: &Path,
    expected: (u64, [u8; 32]),
) -> anyhow::Result<Upload> {
    let boundary = format!("----folio-bench-{}", Uuid::new_v4().simple());
    let mut head = String::new();
    for (name, value) in [
        ("component_id", component.to_string()),
        ("title", "Portfolio video".to_owned()),
        (
            "description",
            "A recording of the practical observation.".to_owned(),
        ),
        ("declaration", "true".to_owned()),
        ("signature_name", "Learner 1".to_owned()),
    ] {
        head.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    head.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"observation.mp4\"\r\n\
         Content-Type: video/mp4\r\n\r\n"
    ));
    let tail = format!("\r\n--{boundary}--\r\n");
    let length = head.len() as u64 + expected.0 + tail.len() as u64;

    let file = tokio::fs::File::open(source).await?;
    enum Part {
        Head(String, tokio::fs::File, String),
        File(tokio::fs::File, String),
        Done,
    }
    let frames = futures_util::stream::unfold(Part::Head(head, file, tail), |part| async move {
        match part {
            Part::Head(head, file, tail) => Some((
                Ok::<_, std::io::Error>(Frame::data(Bytes::from(head))),
                Part::File(file, tail),
            )),
            Part::File(mut file, tail) => {
                let mut buffer = vec![0u8; CLIENT_CHUNK];
                match file.read(&mut buffer).await {
                    Ok(0) => Some((Ok(Frame::data(Bytes::from(tail))), Part::Done)),
                    Ok(n) => {
                        buffer.truncate(n);
                        Some((Ok(Frame::data(Bytes::from(buffer))), Part::File(file, tail)))
                    }
                    Err(e) => Some((Err(e), Part::Done)),
                }
            }
            Part::Done => None,
        }
    });
    let body = StreamBody::new(frames.boxed());
    let mut sender = server::connect(server.addr).await?;
    let request = hyper::Request::post(format!("/api/v1/enrolments/{enrolment}/evidence"))
        .header(hyper::header::HOST, server.addr.to_string())
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            hyper::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(hyper::header::CONTENT_LENGTH, length)
        .body(body)?;

    server.reset_peak()?;
    let rss_before_kib = server.status_kib("VmRSS");
    let (server_cpu, client_cpu) = (server.cpu_seconds(), server::cpu_seconds("/proc/self/stat"));
    let started = Instant::now();
    let response = sender.send_request(request).await?;
    let status = response.status();
    let answer = response.into_body().collect().await?.to_bytes();
    let took = started.elapsed();
    let peak_kib = server.status_kib("VmHWM");
    let rss_after_kib = server.status_kib("VmRSS");
    let server_cpu = server.cpu_seconds() - server_cpu;
    let client_cpu = server::cpu_seconds("/proc/self/stat") - client_cpu;
    if status != hyper::StatusCode::CREATED {
        bail!(
            "the upload answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    let body: serde_json::Value = serde_json::from_slice(&answer)?;
    let stored = (
        body.get("size_bytes").and_then(serde_json::Value::as_u64),
        body.get("sha256")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
    );
    let want = (Some(expected.0), Some(hex(&expected.1)));
    if stored != want {
        bail!("the server stored {stored:?}, not the source's {want:?}");
    }
    Ok(Upload {
        took,
        rss_before_kib,
        peak_kib,
        rss_after_kib,
        server_cpu,
        client_cpu,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `cp source target`, then (`sync`) `sync target`; the time of each part.
async fn copy(source: &Path, target: &Path) -> anyhow::Result<(Duration, Duration)> {
    let started = Instant::now();
    let status = tokio::process::Command::new("cp")
        .arg(source)
        .arg(target)
        .status()
        .await?;
    if !status.success() {
        bail!("cp failed: {status}");
    }
    let copied = started.elapsed();
    let status = tokio::process::Command::new("sync")
        .arg(target)
        .status()
        .await?;
    if !status.success() {
        bail!("sync failed: {status}");
    }
    Ok((copied, started.elapsed()))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn mib_per_s(bytes: u64, d: Duration) -> String {
    format!(
        "{:.0} MiB/s",
        bytes as f64 / 1048576.0 / d.as_secs_f64().max(1e-9)
    )
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<CaseResult> {
    let scratch = ctx.scratch_database("upload", 2).await?;
    sqlx::raw_sql(SQL_HELPERS).execute(&scratch.pool).await?;
    for sql in LOAD {
        sqlx::query(*sql).execute(&scratch.pool).await?;
    }
    let (tenant, learner, enrolment, component): (Uuid, Uuid, Uuid, Uuid) = sqlx::query_as(
        "select bench_uuid(0, 1), bench_uuid(1, 1), bench_uuid(7, 1), bench_uuid(4, 1)",
    )
    .fetch_one(&scratch.pool)
    .await?;
    let token = {
        let minted = folio_app::credentials::mint(TokenKind::Session, TenantId(tenant));
        let mut tx = scratch.db.begin_tenant(TenantId(tenant)).await?;
        folio_db::auth::create_session(
            &mut tx,
            Uuid::now_v7(),
            learner,
            &minted.hash,
            Utc::now() + chrono::TimeDelta::hours(12),
            folio_db::auth::SessionOrigin::Password,
        )
        .await?;
        tx.commit().await?;
        minted.token
    };

    // Everything on the same filesystem: the source, the server's store, cp's copies.
    let dir: PathBuf = std::env::temp_dir().join(format!("{}-upload", scratch.name));
    let data = dir.join("data");
    tokio::fs::create_dir_all(&data).await?;
    let source = dir.join("source.bin");
    let bytes = ctx.upload_bytes;
    let t = Instant::now();
    let sha = source_file(&source, bytes, ctx.seed).await?;
    println!(
        "  wrote a {} source file in {}",
        mib(bytes / 1024),
        secs(t.elapsed())
    );
    let server = Server::start(ctx, &scratch.name, &data, &[]).await?;
    println!(
        "  Folio's server (pid {}) listens on {}",
        server.pid, server.addr
    );
    let outcome = measure(
        ctx,
        &server,
        &token,
        enrolment,
        component,
        &source,
        &dir,
        (bytes, sha),
    )
    .await;
    let log = server.log.clone();
    server.stop().await;
    let (first, uploads, cps, syncs) = match outcome {
        Ok(o) => o,
        Err(e) => return Err(e.context(format!("server log: {}", log.display()))),
    };
    tokio::fs::remove_dir_all(&dir).await.ok();

    let times: Vec<Duration> = uploads.iter().map(|u| u.took).collect();
    let u = median(&times);
    let (c, s) = (median(&cps), median(&syncs));
    let growth = |u: &Upload| u.peak_kib.saturating_sub(u.rss_before_kib);
    let later = uploads.iter().map(growth).max().unwrap_or(0);
    let peak = uploads.iter().map(|u| u.peak_kib).max().unwrap_or(0);
    let after = uploads.iter().map(|u| u.rss_after_kib).max().unwrap_or(0);
    let cpu = |f: fn(&Upload) -> f64| {
        let mut v: Vec<f64> = uploads.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len().saturating_sub(1) / 2).copied().unwrap_or(0.0)
    };
    let all = |v: &[Duration]| {
        v.iter()
            .map(|d| format!("{:.2}", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64().max(1e-9);
    Ok(CaseResult {
        name: "upload",
        title: "A 1 GiB evidence upload through the HTTP API".into(),
        setup: vec![
            format!(
                "File: {} of seeded pseudo-random bytes, in the page cache, on the same filesystem as the store \
                 and the copies.",
                mib(bytes / 1024)
            ),
            "Folio: `POST /api/v1/enrolments/{id}/evidence` of Folio's own server in a child process (file store: \
             the local filesystem), as a browser posts the form: `multipart/form-data` with `Content-Length`, text \
             fields first, the file last, streamed by a hyper client from the source; from the first byte sent to \
             the 201. The server streams the part into the store, hashing and counting it, syncs the file, then \
             records the evidence; the stored size and SHA-256 are checked."
                .into(),
            "Baseline: `cp` of the same file to the same filesystem; also `cp` then `sync` of the copy (the store \
             syncs every file before recording it)."
                .into(),
            "The organisation's evidence limit (tenant setting `evidence_max_bytes`, default 512 MiB, at most \
             5 GiB) is set to 2 GiB for the run."
                .into(),
            format!(
                "One untimed upload and copy, then {} alternating rounds; medians of time; memory: the server's \
                 `VmRSS` before each upload and its peak `VmHWM` during it (reset before): the first upload of the \
                 freshly started server, and the largest growth of the later ones.",
                ctx.rounds
            ),
        ],
        rows: vec![
            Row {
                measure: format!("upload {} vs `cp`", mib(bytes / 1024)),
                folio: format!("{} ({})", secs(u), mib_per_s(bytes, u)),
                baseline: format!("{} ({})", secs(c), mib_per_s(bytes, c)),
                ratio: format!("{:.2}× the throughput", ratio(u, c)),
                target: "≥ 0.5×".into(),
            },
            Row {
                measure: "… vs `cp` + `sync`".into(),
                folio: format!("{} ({})", secs(u), mib_per_s(bytes, u)),
                baseline: format!("{} ({})", secs(s), mib_per_s(bytes, s)),
                ratio: format!("{:.2}× the throughput", ratio(u, s)),
                target: "—".into(),
            },
            Row {
                measure: "server RSS growth, first upload after start".into(),
                folio: mib(growth(&first)),
                baseline: "—".into(),
                ratio: "—".into(),
                target: "< 32 MB".into(),
            },
            Row {
                measure: "… each later upload".into(),
                folio: mib(later),
                baseline: "—".into(),
                ratio: "—".into(),
                target: "< 32 MB".into(),
            },
        ],
        notes: vec![
            format!(
                "Rounds (s): upload [{}]; cp [{}]; cp + sync [{}].",
                all(&times),
                all(&cps),
                all(&syncs)
            ),
            format!(
                "Server memory: RSS {} when started, {} at the peak of the first upload; at most {} at the peak \
                 of a later one, {} after it.",
                mib(first.rss_before_kib),
                mib(first.peak_kib),
                mib(peak),
                mib(after)
            ),
            format!(
                "CPU during an upload (median): the server {:.2} s, the client (this process) {:.2} s, of {} \
                 wall-clock.",
                cpu(|u| u.server_cpu),
                cpu(|u| u.client_cpu),
                secs(u)
            ),
        ],
    })
}

type Measured = (Upload, Vec<Upload>, Vec<Duration>, Vec<Duration>);

#[allow(clippy::too_many_arguments)]
async fn measure(
    ctx: &Ctx,
    server: &Server,
    token: &str,
    enrolment: Uuid,
    component: Uuid,
    source: &Path,
    dir: &Path,
    expected: (u64, [u8; 32]),
) -> anyhow::Result<Measured> {
    let files = dir.join("data").join("files");
    let copies = files.join("copies");
    let mut uploads = Vec::new();
    let mut first = None;
    let mut cps = Vec::new();
    let mut syncs = Vec::new();
    for round in 0..=ctx.rounds {
        let upload_first = round % 2 == 0;
        for turn in 0..2 {
            if (turn == 0) == upload_first {
                let u = upload(server, token, enrolment, component, source, expected).await?;
                println!(
                    "  round {round} upload: {} ({}), RSS {} before, peak {}, CPU: server {:.2} s, client {:.2} s",
                    secs(u.took),
                    mib_per_s(expected.0, u.took),
                    mib(u.rss_before_kib),
                    mib(u.peak_kib),
                    u.server_cpu,
                    u.client_cpu
                );
                // The stored evidence files are not needed again.
                let evidence = files.join("tenants");
                tokio::fs::remove_dir_all(&evidence).await.ok();
                if round == 0 {
                    first = Some(u);
                } else {
                    uploads.push(u);
                }
            } else {
                tokio::fs::create_dir_all(&copies).await?;
                let target = copies.join("copy.bin");
                let (c, s) = copy(source, &target).await?;
                println!(
                    "  round {round} cp:     {} ({}), with sync {}",
                    secs(c),
                    mib_per_s(expected.0, c),
                    secs(s)
                );
                tokio::fs::remove_file(&target).await.ok();
                if round > 0 {
                    cps.push(c);
                    syncs.push(s);
                }
            }
        }
    }
    Ok((first.context("no upload ran")?, uploads, cps, syncs))
}
