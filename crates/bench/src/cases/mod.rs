//! The benchmark cases. Each is one module with
//! `pub async fn run(ctx: &Ctx) -> anyhow::Result<CaseResult>` that measures Folio and its
//! baseline in the same run. To add a case: a module here, a variant of [`Case`] (with its
//! name and entry in [`Case::ALL`]), and a variant of the command line's `Which`.

pub mod api_read;
pub mod emails;
pub mod export;
pub mod load;
pub mod pages;
pub mod recalculation;
pub mod rls;
pub mod upload;

use std::fmt::Write as _;

use crate::ctx::Ctx;

/// Helpers the loading statements use: deterministic ids and seeded uniform numbers.
pub const SQL_HELPERS: &str = "
create function bench_uuid(kind int, n bigint) returns uuid language sql immutable parallel safe as
$$ select (lpad(to_hex(kind), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid $$;
create function bench_rand(seed bigint, n bigint, salt int) returns float8 language sql immutable parallel safe as
$$ select (hashint8extended(n * 64 + salt, seed) & 2147483647)::float8 / 2147483648.0 $$;
";

/// A case the command can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Nightly recalculation against one set-based SQL statement.
    Recalculation,
    /// The outbox sender against raw SMTP sends.
    Emails,
    /// A 1,000,000-row time-log export against `COPY … TO` CSV.
    Export,
    /// A learner's progress through the HTTP API against the same SQL through pgbench.
    ApiRead,
    /// The assessor's dashboard with row-level security against the owner's.
    Rls,
    /// Four everyday pages at 1, 16 and 64 users against the same SQL through pgbench.
    Pages,
    /// A 1 GiB evidence upload through the HTTP API against `cp`.
    Upload,
}

impl Case {
    /// Every case, in the order `all` runs them.
    pub const ALL: &[Case] = &[
        Case::Recalculation,
        Case::Export,
        Case::Emails,
        Case::ApiRead,
        Case::Rls,
        Case::Pages,
        Case::Upload,
    ];

    /// The name on the command line and in `BENCHMARKS.md`.
    pub fn name(self) -> &'static str {
        match self {
            Case::Recalculation => "recalculation",
            Case::Emails => "emails",
            Case::Export => "export",
            Case::ApiRead => "api-read",
            Case::Rls => "rls",
            Case::Pages => "pages",
            Case::Upload => "upload",
        }
    }

    /// Runs the case.
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<CaseResult> {
        match self {
            Case::Recalculation => recalculation::run(ctx).await,
            Case::Emails => emails::run(ctx).await,
            Case::Export => export::run(ctx).await,
            Case::ApiRead => api_read::run(ctx).await,
            Case::Rls => rls::run(ctx).await,
            Case::Pages => pages::run(ctx).await,
            Case::Upload => upload::run(ctx).await,
        }
    }
}

/// One line of a case's results: Folio's figure, the baseline's, their ratio and the target.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was measured.
    pub measure: String,
    /// Folio's figure.
    pub folio: String,
    /// The baseline's figure.
    pub baseline: String,
    /// Folio against the baseline, stated as the target states it.
    pub ratio: String,
    /// Issue 8's target for this figure.
    pub target: String,
}

/// What a case measured.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// [`Case::name`].
    pub name: &'static str,
    /// A heading.
    pub title: String,
    /// What Folio did and what the baseline is.
    pub setup: Vec<String>,
    /// The figures.
    pub rows: Vec<Row>,
    /// Further observations of this run (checks, breakdowns).
    pub notes: Vec<String>,
}

impl CaseResult {
    /// The results as Markdown (used both on the terminal and in `BENCHMARKS.md`).
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        for line in &self.setup {
            let _ = writeln!(out, "- {line}");
        }
        out.push('\n');
        out.push_str("| measure | Folio | baseline | ratio | target |\n|---|---:|---:|---:|---|\n");
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                r.measure, r.folio, r.baseline, r.ratio, r.target
            );
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for line in &self.notes {
                let _ = writeln!(out, "- {line}");
            }
        }
        out
    }

    /// The results for the terminal.
    pub fn to_text(&self) -> String {
        self.to_markdown()
    }
}
