//! 10,000 emails through the outbox (`folio_jobs::send_emails::run`: one tenant
//! transaction per email that claims it with `for update skip locked`, renders it, sends it
//! through `folio_mail::Mailer` and marks it sent) to a local SMTP sink (aiosmtpd's `Sink`
//! handler, which accepts and discards), against sends of the same rendered message without
//! the database at the same concurrency: on lettre connections with `TCP_NODELAY` (the
//! SMTP stack `Mailer::smtp` now uses), and through lettre's own pooled transport (which
//! `Mailer::smtp` used before, and which leaves Nagle's algorithm on). The ratio to the
//! first is the outbox's overhead.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use folio_db::outbox::{self, NewEmail};
use folio_domain::TenantId;
use folio_jobs::JobContext;
use folio_jobs::send_emails::{self, RetryPolicy};
use folio_mail::{Mailer, Rendered, Templates};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::cases::{CaseResult, Row};
use crate::ctx::{Ctx, Scratch, median};

const CONCURRENCY: &[usize] = &[1, 4, 16];
const RECIPIENTS: i64 = 1_000;
const FROM: &str = "no-reply@folio.example.test";
const TENANT_NAME: &str = "Bench Training";
const PUBLIC_URL: &str = "https://folio.example.test/";
/// `Mailer::smtp`'s pool size, which the baseline uses too.
const SMTP_POOL: u32 = 8;

/// The sink: aiosmtpd on a free port of 127.0.0.1, killed when dropped.
struct Sink {
    _child: Child,
    port: u16,
}

async fn start_sink() -> anyhow::Result<Sink> {
    let installed = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !installed {
        let requirements = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/requirements.txt");
        let status = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
                requirements,
            ])
            .status()
            .await
            .context("run pip")?;
        if !status.success() {
            bail!("pip install -r {requirements} failed");
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Sink",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .context("start aiosmtpd")?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            bail!("aiosmtpd did not start listening on port {port}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Sink {
        _child: child,
        port,
    })
}

fn recipient_id(n: i64) -> Uuid {
    Uuid::from_u128(0x0000_0001_0000_7000_8000_0000_0000_0000 | u128::from(n.unsigned_abs()))
}

/// The message's own context (what `folio-api` queues for `message_received`).
fn message_context(n: usize) -> Value {
    json!({
        "learner_name": "Amelia Jones",
        "course_title": "Engineering Technician (ST0457)",
        "subject": format!("Review {n}"),
        "body": "Could we move my review to Thursday?\nThanks, Amelia",
        "message_id": Uuid::nil(),
        "to": "assessor",
    })
}

/// Queues `count` emails with dedup keys of `run`, a thousand per transaction.
async fn enqueue(
    scratch: &Scratch,
    tenant: TenantId,
    run: &str,
    count: usize,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut n = 0;
    while n < count {
        let mut tx = scratch.db.begin_tenant(tenant).await?;
        for _ in 0..1_000.min(count - n) {
            let queued = outbox::enqueue(
                &mut tx,
                &NewEmail {
                    dedup_key: &format!("bench:{run}:{n}"),
                    to_user_id: recipient_id(1 + i64::try_from(n).unwrap_or(0) % RECIPIENTS),
                    template: "message_received",
                    context: message_context(n),
                },
            )
            .await?;
            if !queued {
                bail!("email {n} of run {run} was already queued");
            }
            n += 1;
        }
        tx.commit().await?;
    }
    let took = started.elapsed();
    sqlx::query("vacuum (analyze) email_outbox")
        .execute(&scratch.pool)
        .await?;
    Ok(took)
}

/// Drains the outbox with `concurrency` senders; returns the time and how many were sent.
async fn drain(
    scratch: &Scratch,
    tenant: TenantId,
    port: u16,
    concurrency: usize,
) -> anyhow::Result<(Duration, u32)> {
    let ctx = JobContext {
        db: scratch.db.clone(),
        mailer: Mailer::smtp(&format!("smtp://127.0.0.1:{port}"), FROM)?,
        templates: Arc::new(Templates::load()?),
        public_url: PUBLIC_URL.into(),
        email_retry: RetryPolicy::default(),
        // Exports are not written here; the context needs a file store all the same.
        storage: folio_storage::Storage::new(&folio_storage::StorageConfig::Fs {
            root: std::env::temp_dir().join(&scratch.name),
        })?,
        export_retention: chrono::TimeDelta::days(7),
        secrets: folio_app::secrets::SecretKeys::default(),
    };
    let started = Instant::now();
    let report = send_emails::run(&ctx, tenant, concurrency).await?;
    let took = started.elapsed();
    if report.retrying > 0 || report.failed > 0 {
        bail!("the outbox did not deliver everything: {report:?}");
    }
    Ok((took, report.sent))
}

/// The message the outbox would build, for the baseline.
fn message(content: &Rendered, n: usize) -> anyhow::Result<Message> {
    let to = format!("assessor{}@bench.example", 1 + n % 1_000);
    Ok(Message::builder()
        .from(Mailbox::new(Some(TENANT_NAME.to_owned()), FROM.parse()?))
        .to(Mailbox::new(Some("Assessor".to_owned()), to.parse()?))
        .subject(&content.subject)
        .message_id(Some(format!("<{}@folio>", Uuid::now_v7())))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(content.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(content.html.clone()),
                ),
        )?)
}

/// Sends `count` copies of the rendered message straight through lettre, `concurrency`
/// at a time.
async fn raw_sends(
    content: Arc<Rendered>,
    port: u16,
    concurrency: usize,
    count: usize,
) -> anyhow::Result<Duration> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(Duration::from_secs(20)))
        .pool_config(PoolConfig::new().max_size(SMTP_POOL))
        .build();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let transport = transport.clone();
        let next = next.clone();
        let content = content.clone();
        senders.spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    return anyhow::Ok(());
                }
                transport.send(message(&content, n)?).await?;
            }
        });
    }
    while let Some(done) = senders.join_next().await {
        done??;
    }
    Ok(started.elapsed())
}

/// The sink's ceiling: the same sends on lettre connections whose socket has `TCP_NODELAY`
/// set (lettre 0.11.23 leaves Nagle's algorithm on, and writes the body and the final
/// `.` separately, so each message waits for the server's delayed ACK), one connection per
/// sender, no pool.
async fn nodelay_sends(
    content: Arc<Rendered>,
    port: u16,
    concurrency: usize,
    count: usize,
) -> anyhow::Result<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let next = next.clone();
        let content = content.clone();
        senders.spawn(async move {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let mut conn =
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default())
                    .await?;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    conn.quit().await.ok();
                    return anyhow::Ok(());
                }
                let message = message(&content, n)?;
                conn.send(message.envelope(), &message.formatted()).await?;
            }
        });
    }
    while let Some(done) = senders.join_next().await {
        done??;
    }
    Ok(started.elapsed())
}

fn per_sec(count: usize, d: Duration) -> f64 {
    count as f64 / d.as_secs_f64().max(1e-9)
}

pub async fn run(ctx: &Ctx) -> anyhow::Result<CaseResult> {
    let count = ctx.emails;
    let scratch = ctx
        .scratch_database(
            "emails",
            u32::try_from(CONCURRENCY.iter().max().copied().unwrap_or(1)).unwrap_or(16) + 4,
        )
        .await?;
    let tenant_id = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0001);
    sqlx::query("insert into tenants (id, slug, name) values ($1, 'bench', $2)")
        .bind(tenant_id)
        .bind(TENANT_NAME)
        .execute(&scratch.pool)
        .await?;
    for n in 1..=RECIPIENTS {
        sqlx::query("insert into users (tenant_id, id, email, name) values ($1, $2, $3, $4)")
            .bind(tenant_id)
            .bind(recipient_id(n))
            .bind(format!("assessor{n}@bench.example"))
            .bind(format!("Assessor {n}"))
            .execute(&scratch.pool)
            .await?;
    }
    let tenant = TenantId(tenant_id);
    let sink = start_sink().await?;
    let templates = Templates::load()?;
    let mut render_context = message_context(0);
    if let Some(map) = render_context.as_object_mut() {
        map.insert("tenant_name".into(), TENANT_NAME.into());
        map.insert("recipient_name".into(), "Assessor 1".into());
        map.insert("app_url".into(), PUBLIC_URL.trim_end_matches('/').into());
    }
    let content = Arc::new(templates.render("message_received", &render_context)?);
    let size = message(&content, 0)?.formatted().len();

    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let mut enqueue_times = Vec::new();
    for (i, &concurrency) in CONCURRENCY.iter().enumerate() {
        let mut folio = Vec::new();
        let mut raw = Vec::new();
        let mut nodelay = Vec::new();
        for round in 0..ctx.email_rounds {
            enqueue_times
                .push(enqueue(&scratch, tenant, &format!("c{concurrency}r{round}"), count).await?);
            // Alternate which goes first.
            let raw_first = (i + round) % 2 == 0;
            if raw_first {
                raw.push(raw_sends(content.clone(), sink.port, concurrency, count).await?);
            }
            let (took, sent) = drain(&scratch, tenant, sink.port, concurrency).await?;
            if usize::try_from(sent).unwrap_or(0) != count {
                bail!("the outbox sent {sent} of {count} emails");
            }
            folio.push(took);
            if !raw_first {
                raw.push(raw_sends(content.clone(), sink.port, concurrency, count).await?);
            }
            nodelay.push(nodelay_sends(content.clone(), sink.port, concurrency, count).await?);
            println!(
                "  concurrency {concurrency:>2} round {}: outbox {:.0}/s, raw lettre {:.0}/s, \
                 TCP_NODELAY {:.0}/s",
                round + 1,
                per_sec(count, folio[round]),
                per_sec(count, raw[round]),
                per_sec(count, nodelay[round])
            );
        }
        let (f, r) = (median(&folio), median(&raw));
        let (fr, rr) = (per_sec(count, f), per_sec(count, r));
        let n = per_sec(count, median(&nodelay));
        rows.push(Row {
            measure: format!("{count} emails, concurrency {concurrency}"),
            folio: format!("{fr:.0} msg/s"),
            baseline: format!("{n:.0} msg/s"),
            ratio: format!("{:.2}× the throughput", fr / n.max(1e-9)),
            target: "≥ 500 msg/s".into(),
        });
        rows.push(Row {
            measure: format!(
                "… against lettre's pooled transport (Nagle on), concurrency {concurrency}"
            ),
            folio: format!("{fr:.0} msg/s"),
            baseline: format!("{rr:.0} msg/s"),
            ratio: format!("{:.2}× the throughput", fr / rr.max(1e-9)),
            target: "—".into(),
        });
        notes.push(format!(
            "Concurrency {concurrency}, rounds (msg/s): outbox [{}]; raw lettre [{}]; TCP_NODELAY [{}].",
            folio
                .iter()
                .map(|d| format!("{:.0}", per_sec(count, *d)))
                .collect::<Vec<_>>()
                .join(", "),
            raw.iter()
                .map(|d| format!("{:.0}", per_sec(count, *d)))
                .collect::<Vec<_>>()
                .join(", "),
            nodelay
                .iter()
                .map(|d| format!("{:.0}", per_sec(count, *d)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let enqueue_rate = per_sec(count, median(&enqueue_times));
    notes.push(format!(
        "Queuing (untimed above): `outbox::enqueue`, one statement per email, a thousand per \
         transaction: {enqueue_rate:.0} emails/s."
    ));
    drop(sink);
    let _ = std::fs::remove_dir_all(std::env::temp_dir().join(&scratch.name));
    Ok(CaseResult {
        name: "emails",
        title: "Emails through the outbox to a local SMTP sink".into(),
        setup: vec![
            format!(
                "Data: one tenant, {RECIPIENTS} recipients; before each measurement {count} `message_received` \
                 emails are queued with `folio_db::outbox::enqueue` (not timed), then the outbox is vacuumed."
            ),
            format!(
                "Folio: `folio_jobs::send_emails::run(ctx, tenant, concurrency)` until the outbox is empty: per email \
                 one tenant transaction (claim with `for update skip locked`, render the handlebars template, send \
                 through `folio_mail::Mailer::smtp`, mark sent, commit). `Mailer::smtp` keeps its own pool of at \
                 most {SMTP_POOL} lettre connections with `TCP_NODELAY` set, so 16 senders share 8 connections."
            ),
            format!(
                "Baseline: the same rendered message ({size} bytes), built per send, no database, sent on lettre \
                 `AsyncSmtpConnection`s with `TCP_NODELAY` set on the socket, one connection per sender: what the \
                 sink and the SMTP client can do."
            ),
            format!(
                "Also shown: raw lettre `AsyncSmtpTransport` sends (its own pool of at most {SMTP_POOL} connections), \
                 which Folio used before: lettre 0.11.23 sets no `TCP_NODELAY`, so every message waits about 40 ms \
                 for a delayed ACK between its body and the terminating dot."
            ),
            format!(
                "Sink: aiosmtpd `Sink` handler (Python, one process) on 127.0.0.1; {} round(s) per concurrency \
                 (`--email-rounds`), outbox and raw lettre alternating which goes first; medians.",
                ctx.email_rounds
            ),
        ],
        rows,
        notes,
    })
}
