//! The machine a run was on, and `BENCHMARKS.md`: a header with the machine, then one
//! section per case between markers. A run replaces the header and the sections of the
//! cases it ran, keeps the other cases' sections, and leaves text outside the markers
//! (analysis written by hand) alone.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;

use crate::cases::CaseResult;
use crate::ctx::Ctx;

/// `/proc/loadavg`'s first three figures.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// Facts about the machine and the database server.
pub struct Machine {
    date: String,
    cpus: usize,
    cpu_model: String,
    ram: String,
    postgres: String,
    postgres_settings: String,
    commit: String,
    load: String,
}

fn first_value(file: &str, key: &str) -> Option<String> {
    std::fs::read_to_string(file)
        .ok()?
        .lines()
        .find_map(|line| {
            let (k, v) = line.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_owned())
        })
}

impl Machine {
    /// Reads `/proc` and asks PostgreSQL; what cannot be found is reported as unknown.
    pub async fn probe(ctx: &Ctx) -> Self {
        let unknown = || "unknown".to_owned();
        let ram = first_value("/proc/meminfo", "MemTotal")
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
            .unwrap_or_else(unknown);
        let (postgres, postgres_settings) = match ctx.admin().await {
            Ok(mut conn) => {
                let version: String = sqlx::query_scalar("select version()")
                    .fetch_one(&mut conn)
                    .await
                    .unwrap_or_else(|_| unknown());
                let settings: Vec<(String, String)> = sqlx::query_as(
                    "select name, setting || coalesce(unit, '') from pg_settings
                     where name in ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather',
                                    'synchronous_commit', 'fsync')
                     order by name",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap_or_default();
                (
                    version,
                    settings
                        .into_iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            }
            Err(_) => (unknown(), unknown()),
        };
        let commit = std::process::Command::new("git")
            .args(["describe", "--always", "--dirty"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(unknown);
        Self {
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model: first_value("/proc/cpuinfo", "model name").unwrap_or_else(unknown),
            ram,
            postgres,
            postgres_settings,
            commit,
            load: load_average(),
        }
    }

    /// One paragraph for the terminal.
    pub fn summary(&self) -> String {
        format!(
            "{} · {} CPUs ({}) · {} RAM · {} · commit {}",
            self.date, self.cpus, self.cpu_model, self.ram, self.postgres, self.commit
        )
    }

    fn markdown(&self) -> String {
        format!(
            "| | |\n|---|---|\n\
             | date of the last run | {} |\n\
             | CPUs (nproc) | {} |\n\
             | CPU model | {} |\n\
             | RAM | {} |\n\
             | PostgreSQL | {} |\n\
             | PostgreSQL settings | {} |\n\
             | source | `{}` |\n\
             | load average at the start (1, 5, 15 min) | {} |\n",
            self.date,
            self.cpus,
            self.cpu_model,
            self.ram,
            self.postgres,
            self.postgres_settings,
            self.commit,
            self.load
        )
    }
}

const HEADER: &str = "# Benchmarks

Regenerate every figure on this machine with one command (release build; it creates scratch
databases on the PostgreSQL of `FOLIO_BENCH_DATABASE_URL`, default
`postgres://postgres@127.0.0.1:5432`, and drops them at the end):

```sh
cargo run --release -p folio-bench -- all
```

Or one case: `-- recalculation`, `-- export`, `-- emails`, `-- api-read`, `-- rls`, `-- upload`. Each
case measures Folio and its baseline in the same run and reports the ratio; the targets are
issue 8's. These are measurements, not tests: nothing fails when a target is missed. The
sections between the generated markers are rewritten by the command; the rest of this file is
written by hand.

The read cases (`api-read`, `rls`) run on a generated platform (`-- load --scale large` loads
one and keeps it; `--platform-database NAME` runs the cases on it).
";

fn block(name: &str, body: &str) -> String {
    format!("<!-- bench:{name} -->\n{body}<!-- /bench:{name} -->\n")
}

/// Replaces the block `name` in `doc`, or appends it.
fn put_block(doc: &mut String, name: &str, body: &str) {
    let begin = format!("<!-- bench:{name} -->");
    let end = format!("<!-- /bench:{name} -->");
    let new = block(name, body);
    if let (Some(start), Some(stop)) = (doc.find(&begin), doc.find(&end))
        && stop > start
    {
        let mut stop = stop + end.len();
        if doc[stop..].starts_with('\n') {
            stop += 1;
        }
        doc.replace_range(start..stop, &new);
        return;
    }
    if !doc.ends_with("\n\n") {
        doc.push('\n');
    }
    doc.push_str(&new);
}

/// Writes (or updates) the report at `path`.
pub fn write(path: &Path, machine: &Machine, results: &[CaseResult]) -> anyhow::Result<()> {
    let mut doc = std::fs::read_to_string(path).unwrap_or_default();
    if doc.trim().is_empty() {
        doc = format!("{HEADER}\n");
    }
    put_block(
        &mut doc,
        "machine",
        &format!("## Machine\n\n{}", machine.markdown()),
    );
    for result in results {
        let mut body = String::new();
        let _ = writeln!(body, "## {} (`{}`)\n", result.title, result.name);
        let _ = writeln!(body, "Run {} on the machine above.\n", machine.date);
        body.push_str(&result.to_markdown());
        put_block(&mut doc, &format!("case:{}", result.name), &body);
    }
    std::fs::write(path, doc).with_context(|| format!("write {}", path.display()))
}
