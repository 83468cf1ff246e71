//! Distributed PostgreSQL (Citus) readiness: what the catalog of a migrated database says
//! about distributing it by `tenant_id`, and the `infra/citus/distribute.sql` script that
//! does it.
//!
//! The plan is read from `pg_catalog`, never from a hand list, so a table a later migration
//! adds is placed (reference, distributed or deliberately local) without anyone remembering
//! to. The committed script is compared with a fresh generation by `tests/tests/e2e/citus.rs`,
//! which is also what regenerates it: nothing else runs this code, so it lives in the test
//! harness rather than in `folio-db`.
//!
//! - Tables without `tenant_id` are the platform's: reference tables (one copy on every
//!   node), except [`LOCAL_TABLES`], which stay plain tables on the coordinator.
//! - Every table with `tenant_id` is distributed by it, all in one colocation group whose
//!   anchor is the first of them in dependency order, so that a tenant's rows of every
//!   table live in the same shard group and joins on `tenant_id` stay on one node.
//! - Referenced tables come before the tables whose foreign keys point at them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use sqlx::PgPool;

/// The distribution column of every tenant table.
pub const DISTRIBUTION_COLUMN: &str = "tenant_id";

/// Platform tables that stay ordinary tables on the coordinator, with the reason.
pub const LOCAL_TABLES: &[(&str, &str)] = &[(
    "_sqlx_migrations",
    "the migrator's own history of the schema. Only `folio migrate`, connected to the \
     coordinator, reads or writes it and no query joins it with tenant data; Citus \
     propagates the migrations' DDL from the coordinator, so the history belongs there. \
     As a reference table every migration would write it on every node, for no reader.",
)];

/// One table of the `public` schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
}

impl Table {
    /// Whether it has the distribution column: a tenant table.
    pub fn is_tenant_table(&self) -> bool {
        self.columns.iter().any(|c| c == DISTRIBUTION_COLUMN)
    }
}

/// What of the schema matters for distributing it, read from `pg_catalog`.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Ordinary and partitioned tables of `public`, by name.
    pub tables: Vec<Table>,
    /// Foreign keys as (referencing table, referenced table, constraint name).
    pub foreign_keys: Vec<(String, String, String)>,
    /// User triggers as (table, trigger, function).
    pub triggers: Vec<(String, String, String)>,
    /// Functions of `public` with their volatility (`i`, `s` or `v`).
    pub functions: Vec<(String, String)>,
    /// The distinct column default expressions.
    pub defaults: Vec<String>,
    /// Sequences, identity and generated columns, as `table.column (kind)` or a sequence name.
    pub sequences: Vec<String>,
    /// Views and materialized views.
    pub views: Vec<String>,
    /// Row-level security policies as (table, policy).
    pub policies: Vec<(String, String)>,
}

impl Catalog {
    /// Reads the catalog of the database `pool` is connected to.
    pub async fn read(pool: &PgPool) -> sqlx::Result<Self> {
        let columns: Vec<(String, String)> = sqlx::query_as(
            "select c.relname::text, a.attname::text
             from pg_class c
             join pg_namespace n on n.oid = c.relnamespace
             join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
             where n.nspname = 'public' and c.relkind in ('r', 'p')
             order by c.relname, a.attnum",
        )
        .fetch_all(pool)
        .await?;
        let mut tables: Vec<Table> = Vec::new();
        for (table, column) in columns {
            match tables.last_mut() {
                Some(last) if last.name == table => last.columns.push(column),
                _ => tables.push(Table {
                    name: table,
                    columns: vec![column],
                }),
            }
        }
        let foreign_keys = sqlx::query_as(
            "select k.conrelid::regclass::text, k.confrelid::regclass::text, k.conname::text
             from pg_constraint k
             join pg_namespace n on n.oid = k.connamespace
             where n.nspname = 'public' and k.contype = 'f'
             order by 1, 3",
        )
        .fetch_all(pool)
        .await?;
        let triggers = sqlx::query_as(
            "select t.tgrelid::regclass::text, t.tgname::text, t.tgfoid::regproc::text
             from pg_trigger t
             join pg_class c on c.oid = t.tgrelid
             join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and not t.tgisinternal
             order by 1, 2",
        )
        .fetch_all(pool)
        .await?;
        let functions = sqlx::query_as(
            "select p.proname::text, p.provolatile::text
             from pg_proc p
             join pg_namespace n on n.oid = p.pronamespace
             where n.nspname = 'public'
             order by 1",
        )
        .fetch_all(pool)
        .await?;
        let defaults = sqlx::query_scalar(
            "select distinct pg_get_expr(d.adbin, d.adrelid)
             from pg_attrdef d
             join pg_class c on c.oid = d.adrelid
             join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public'
             order by 1",
        )
        .fetch_all(pool)
        .await?;
        let sequences = sqlx::query_scalar(
            "select c.relname::text || ' (sequence)'
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind = 'S'
             union all
             select c.relname || '.' || a.attname
                    || case when a.attidentity <> '' then ' (identity)' else ' (generated)' end
             from pg_attribute a
             join pg_class c on c.oid = a.attrelid
             join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind in ('r', 'p') and not a.attisdropped
               and (a.attidentity <> '' or a.attgenerated <> '')
             order by 1",
        )
        .fetch_all(pool)
        .await?;
        let views = sqlx::query_scalar(
            "select c.relname::text from pg_class c
             join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = 'public' and c.relkind in ('v', 'm')
             order by 1",
        )
        .fetch_all(pool)
        .await?;
        let policies = sqlx::query_as(
            "select tablename::text, policyname::text from pg_policies
             where schemaname = 'public' order by 1, 2",
        )
        .fetch_all(pool)
        .await?;
        Ok(Self {
            tables,
            foreign_keys,
            triggers,
            functions,
            defaults,
            sequences,
            views,
            policies,
        })
    }

    /// The names of the tables with `tenant_id`.
    pub fn tenant_tables(&self) -> BTreeSet<String> {
        self.tables
            .iter()
            .filter(|t| t.is_tenant_table())
            .map(|t| t.name.clone())
            .collect()
    }
}

/// What happens to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// `create_reference_table`: a copy on every node.
    Reference,
    /// `create_distributed_table` by `tenant_id`; `None` for the colocation group's
    /// anchor, else the anchor it is colocated with.
    Distributed {
        /// The anchor.
        colocate_with: Option<String>,
    },
    /// Stays a plain table on the coordinator, for the reason given.
    Local(&'static str),
}

/// The tables in the order the script handles them.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Each table once, referenced tables before referencing ones.
    pub steps: Vec<(String, Placement)>,
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Foreign keys form a cycle among these tables: no order creates them all.
    #[error("foreign keys form a cycle among: {0:?}")]
    Cycle(Vec<String>),
    /// A foreign key of a tenant table points at a local table, which Citus cannot keep.
    #[error("{0} references {1}, which stays local on the coordinator")]
    ReferencesLocal(String, String),
    /// A platform (reference) table references a tenant (distributed) table.
    #[error("platform table {0} references tenant table {1}")]
    ReferenceToDistributed(String, String),
}

impl Plan {
    /// Places every table of `catalog`.
    pub fn from_catalog(catalog: &Catalog) -> Result<Self, PlanError> {
        let local: BTreeMap<&str, &'static str> = LOCAL_TABLES.iter().copied().collect();
        let tenant = catalog.tenant_tables();
        // Dependencies between tables handled by the script (self references impose no order).
        let mut depends_on: BTreeMap<&str, BTreeSet<&str>> = catalog
            .tables
            .iter()
            .map(|t| (t.name.as_str(), BTreeSet::new()))
            .collect();
        for (from, to, _) in &catalog.foreign_keys {
            if from == to {
                continue;
            }
            if local.contains_key(to.as_str()) {
                return Err(PlanError::ReferencesLocal(from.clone(), to.clone()));
            }
            if !tenant.contains(from) && tenant.contains(to) {
                return Err(PlanError::ReferenceToDistributed(from.clone(), to.clone()));
            }
            if let Some(deps) = depends_on.get_mut(from.as_str()) {
                deps.insert(to.as_str());
            }
        }
        // Kahn's algorithm, taking reference tables first and then names in order, so the
        // script is the same for the same schema.
        let mut steps = Vec::new();
        let mut done: BTreeSet<&str> = BTreeSet::new();
        let mut anchor: Option<String> = None;
        while done.len() < depends_on.len() {
            let ready = depends_on
                .iter()
                .filter(|(t, deps)| !done.contains(*t) && deps.iter().all(|d| done.contains(d)))
                .map(|(t, _)| *t)
                .min_by_key(|t| (tenant.contains(*t), *t));
            let Some(table) = ready else {
                let rest = depends_on
                    .keys()
                    .filter(|t| !done.contains(*t))
                    .map(|t| (*t).to_owned())
                    .collect();
                return Err(PlanError::Cycle(rest));
            };
            done.insert(table);
            let placement = if let Some(reason) = local.get(table) {
                Placement::Local(reason)
            } else if tenant.contains(table) {
                match &anchor {
                    Some(a) => Placement::Distributed {
                        colocate_with: Some(a.clone()),
                    },
                    None => {
                        anchor = Some(table.to_owned());
                        Placement::Distributed {
                            colocate_with: None,
                        }
                    }
                }
            } else {
                Placement::Reference
            };
            steps.push((table.to_owned(), placement));
        }
        Ok(Self { steps })
    }

    /// The colocation group's anchor: the first distributed table.
    pub fn anchor(&self) -> Option<&str> {
        self.steps.iter().find_map(|(t, p)| match p {
            Placement::Distributed {
                colocate_with: None,
            } => Some(t.as_str()),
            _ => None,
        })
    }

    /// The statement (or, for a local table, the comment) that handles one table. Each
    /// table's name appears in exactly one of these lines of the script.
    pub fn line(table: &str, placement: &Placement) -> String {
        match placement {
            Placement::Reference => format!("select create_reference_table('{table}');"),
            Placement::Distributed {
                colocate_with: None,
            } => format!(
                "select create_distributed_table('{table}', '{DISTRIBUTION_COLUMN}', colocate_with => 'none');"
            ),
            Placement::Distributed {
                colocate_with: Some(anchor),
            } => format!(
                "select create_distributed_table('{table}', '{DISTRIBUTION_COLUMN}', colocate_with => '{anchor}');"
            ),
            Placement::Local(_) => format!("-- not distributed: {table}"),
        }
    }

    /// The whole `infra/citus/distribute.sql`: header, then one line per table.
    pub fn script(&self, catalog: &Catalog) -> String {
        let mut out = String::new();
        out.push_str(HEADER);
        out.push_str(&attention(catalog, self));
        out.push_str("\n\n-- Platform tables first: reference tables before the tables that reference them.\n");
        let mut section = 0;
        for (table, placement) in &self.steps {
            let this = match placement {
                Placement::Reference | Placement::Local(_) => 0,
                Placement::Distributed { .. } => 1,
            };
            if this != section {
                section = this;
                let anchor = self.anchor().unwrap_or_default();
                let _ = write!(
                    out,
                    "\n-- Tenant tables, distributed by {DISTRIBUTION_COLUMN} in one colocation group \
                     anchored on {anchor},\n-- each after the tables its foreign keys reference.\n"
                );
            }
            if let Placement::Local(reason) = placement {
                out.push_str(&wrap_comment(&format!(
                    "{table} stays a local table on the coordinator: {reason}"
                )));
            }
            out.push_str(&Self::line(table, placement));
            out.push('\n');
        }
        out
    }
}

/// The fixed part of the header.
const HEADER: &str = "\
-- GENERATED FILE: do not edit by hand.
--
-- Distributes Folio's schema on a Citus cluster: platform tables become reference tables,
-- every tenant table is distributed by tenant_id and colocated with one anchor table.
--
-- How it was generated: folio_tests::citus (tests/src/citus.rs) read the pg_catalog of a
-- freshly migrated database (tables, their tenant_id column, foreign keys, triggers,
-- functions, defaults) and wrote this file. tests/tests/e2e/citus.rs regenerates it from a
-- fresh test database and fails when the committed file differs.
--
-- How to regenerate (after adding or changing a migration):
--     FOLIO_BLESS=1 cargo test -p folio-tests --test e2e citus::
--
-- Prerequisites (see infra/SCALING.md, \"Distributed PostgreSQL\"):
--   * PostgreSQL with the citus extension on the coordinator and every worker
--     (shared_preload_libraries = 'citus'), the workers added with citus_add_node(),
--     and `create extension citus` in the application database on every node.
--   * The schema migrated on the coordinator (`folio migrate` against it) before this
--     runs; run it once, as the owner of the tables, with
--         psql -v ON_ERROR_STOP=1 -d <database> -f infra/citus/distribute.sql
--     Each call moves a table's existing rows into its shards. The script is not
--     idempotent: a table already distributed makes its call fail.
--   * citus.shard_count (default 32) decides the shards of the colocation group; set it
--     before running if 32 is not wanted.
--
-- What Citus needs attention for in this schema. [verified] marks a claim checked
-- against Citus's documentation or source; [unverified] one that is not, to be tried on
-- a real cluster before relying on it.
";

/// The catalog-dependent part of the header: the schema features Citus cares about.
fn attention(catalog: &Catalog, plan: &Plan) -> String {
    let mut items: Vec<String> = Vec::new();
    let tenant = catalog.tenant_tables();
    if !catalog.triggers.is_empty() {
        let list = catalog
            .triggers
            .iter()
            .map(|(t, g, f)| format!("{g} on {t} (calls {f})"))
            .collect::<Vec<_>>()
            .join("; ");
        items.push(format!(
            "Triggers on tables distributed here: {list}. [verified] Citus has \
             citus.enable_unsafe_triggers, off by default (\"enables arbitrary triggers on \
             distributed tables which may cause visibility and deadlock issues\", Citus \
             source), and its regression tests (distributed_triggers.sql) turn it on on the \
             coordinator and the workers, including for a trigger that reads a colocated \
             distributed table filtered by the row's distribution column, as \
             documents_fixed_once_fully_signed does (document_signers and \
             document_signatures of old.tenant_id). [unverified] That create_distributed_table \
             accepts these tables with their triggers once the setting is on; otherwise drop \
             the triggers, distribute, and create them again."
        ));
    }
    if catalog
        .triggers
        .iter()
        .any(|(_, g, _)| g.contains("_figures_"))
    {
        items.push(
            "The *_figures_* triggers (migration 0043) mark the track figures a change \
             affects with pg_current_xact_id(), most of them statement-level with \
             transition tables. [unverified] Citus is reported (its pull request 5705) to \
             refuse statement-level triggers on distributed tables, and on a worker the \
             transaction id is the worker's own, not the coordinator's that commits: on \
             Citus the marks would have to be written by the application (the use cases \
             that change sign-offs, mappings, breaks, optional units, enrolment dates, \
             courses and the track rule) before tracks::refresh_marked reads them."
                .to_owned(),
        );
    }
    let policy_tables: BTreeSet<&str> = catalog.policies.iter().map(|(t, _)| t.as_str()).collect();
    let tenant_with_policy = tenant
        .iter()
        .filter(|t| policy_tables.contains(t.as_str()))
        .count();
    let platform_policies = catalog
        .policies
        .iter()
        .filter(|(t, _)| !tenant.contains(t))
        .map(|(t, p)| format!("{t}.{p}"))
        .collect::<Vec<_>>()
        .join(", ");
    items.push(format!(
        "Row-level security: {} policies on {} tables ({tenant_with_policy} of the {} tenant \
         tables; on platform tables: {platform_policies}). [verified] (Citus source, \
         commands/policy.c) a \
         distributed table's policies are recreated on its shards, later CREATE, ALTER and \
         DROP POLICY are propagated, and a policy with a subquery is refused (these have \
         none). [unverified] ENABLE and FORCE ROW LEVEL SECURITY reach the shards. The \
         policies call current_tenant(), which reads the transaction-local app.tenant_id: \
         [verified] Citus forwards SET LOCAL commands to the workers' connections only with \
         citus.propagate_set_commands = 'local' (default 'none'). [unverified] TenantTx's \
         set_config() call is not such a command and so does not reach the workers: see \
         infra/SCALING.md.",
        catalog.policies.len(),
        policy_tables.len(),
        tenant.len(),
    ));
    let functions = catalog
        .functions
        .iter()
        .map(|(f, v)| {
            let kind = match v.as_str() {
                "i" => "immutable",
                "s" => "stable",
                _ => "volatile",
            };
            format!("{f} ({kind})")
        })
        .collect::<Vec<_>>()
        .join(", ");
    items.push(format!(
        "Functions of the schema: {functions}. current_tenant() must exist on every worker \
         (policies and their shards call it there), and so must the trigger functions. \
         [unverified] Citus 11+ propagates a function a distributed table depends on when the \
         table is distributed, and CREATE FUNCTION afterwards; otherwise use \
         create_distributed_function() or create them on the workers."
    ));
    items.push(format!(
        "Column defaults: {}. [unverified] Citus evaluates now() and other non-immutable \
         defaults on the coordinator before routing an INSERT, so a row gets one value \
         whatever shard it lands in.",
        catalog.defaults.join(", ")
    ));
    items.push(if catalog.sequences.is_empty() {
        "Sequences, identity and generated columns: none. Ids are UUIDs made by the \
         application, so no sequence has to be shared across nodes."
            .to_owned()
    } else {
        format!(
            "Sequences, identity and generated columns: {}. [unverified] Citus hands out \
             sequence values on the coordinator; check each on a cluster.",
            catalog.sequences.join(", ")
        )
    });
    let references: Vec<&str> = plan
        .steps
        .iter()
        .filter(|(_, p)| *p == Placement::Reference)
        .map(|(t, _)| t.as_str())
        .collect();
    let to_reference = catalog
        .foreign_keys
        .iter()
        .filter(|(from, to, _)| tenant.contains(from) && references.contains(&to.as_str()))
        .count();
    let between_tenant = catalog
        .foreign_keys
        .iter()
        .filter(|(from, to, _)| tenant.contains(from) && tenant.contains(to))
        .count();
    items.push(format!(
        "Foreign keys: {to_reference} from tenant tables to reference tables ({}) and \
         {between_tenant} between tenant tables. [verified] (Citus regression tests and error \
         messages) foreign keys are supported between colocated distributed tables when they \
         include the distribution column, and from distributed to reference tables, not \
         from reference to distributed tables; tests/tests/e2e/catalog.rs checks that every key \
         of a tenant table includes tenant_id. [unverified] The referenced table must \
         already be a Citus table when the referencing one is distributed, hence the order \
         below.",
        references.join(", ")
    ));
    if !catalog.views.is_empty() {
        items.push(format!(
            "Views: {}. [unverified] Check how Citus plans them.",
            catalog.views.join(", ")
        ));
    }
    items.push(
        "Roles and grants: folio_app and its grants are made by the migrations on the \
         coordinator. [unverified] Citus 11+ propagates CREATE ROLE and GRANT to the workers; \
         the role made inside a DO block of migration 0001 may need creating on the workers \
         by hand."
            .to_owned(),
    );
    items.push(
        "Migrations after distribution: a migration that creates a tenant table must also \
         distribute it (this script is for the first conversion); ALTER TABLE and CREATE INDEX \
         on distributed tables are propagated by Citus. [unverified] enable_tenant_isolation() \
         runs its DDL through EXECUTE; check that Citus propagates it from inside a function."
            .to_owned(),
    );
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        out.push_str(&wrap_comment(&format!("{}. {item}", i + 1)));
    }
    out
}

/// `text` as `-- ` comment lines of at most 92 characters.
fn wrap_comment(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("--");
    for word in text.split_whitespace() {
        if line.len() + 1 + word.len() > 92 && line.len() > 2 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("--   ");
            line.push_str(word);
        } else {
            line.push(' ');
            line.push_str(word);
        }
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, tenant: bool) -> Table {
        let mut columns = vec!["id".to_owned()];
        if tenant {
            columns.insert(0, DISTRIBUTION_COLUMN.to_owned());
        }
        Table {
            name: name.to_owned(),
            columns,
        }
    }

    fn fk(from: &str, to: &str) -> (String, String, String) {
        (from.to_owned(), to.to_owned(), format!("{from}_{to}_fkey"))
    }

    #[test]
    fn referenced_tables_come_first_and_one_anchor_colocates_the_rest() {
        let catalog = Catalog {
            tables: vec![
                table("_sqlx_migrations", false),
                table("a_child", true),
                table("b_parent", true),
                table("tenants", false),
            ],
            foreign_keys: vec![
                fk("a_child", "b_parent"),
                fk("a_child", "tenants"),
                fk("b_parent", "tenants"),
                fk("a_child", "a_child"),
            ],
            ..Catalog::default()
        };
        let plan = Plan::from_catalog(&catalog).unwrap();
        let order: Vec<&str> = plan.steps.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(
            order,
            ["_sqlx_migrations", "tenants", "b_parent", "a_child"]
        );
        assert_eq!(plan.anchor(), Some("b_parent"));
        assert_eq!(
            plan.steps[3].1,
            Placement::Distributed {
                colocate_with: Some("b_parent".into())
            }
        );
    }

    #[test]
    fn a_cycle_or_a_key_to_a_local_table_is_refused() {
        let cycle = Catalog {
            tables: vec![table("a", true), table("b", true)],
            foreign_keys: vec![fk("a", "b"), fk("b", "a")],
            ..Catalog::default()
        };
        assert!(matches!(
            Plan::from_catalog(&cycle),
            Err(PlanError::Cycle(_))
        ));
        let to_local = Catalog {
            tables: vec![table("a", true), table("_sqlx_migrations", false)],
            foreign_keys: vec![fk("a", "_sqlx_migrations")],
            ..Catalog::default()
        };
        assert!(matches!(
            Plan::from_catalog(&to_local),
            Err(PlanError::ReferencesLocal(..))
        ));
    }
}
