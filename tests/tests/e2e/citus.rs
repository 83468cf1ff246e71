//! `infra/citus/distribute.sql` is generated from the catalog of a freshly migrated
//! database (folio_tests::citus). These tests regenerate it and fail when the committed file
//! is stale, check that every table is placed exactly once and in an order Citus accepts,
//! and run it against a stand-in of Citus's two functions (no Citus server is available
//! here: the stand-in checks the ordering rules, not Citus itself).
//!
//! Refresh the file after changing a migration with
//!     FOLIO_BLESS=1 cargo test -p folio-tests --test e2e citus::

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use folio_tests::TestDatabase;
use folio_tests::citus::{Catalog, Plan};

const REFRESH: &str = "FOLIO_BLESS=1 cargo test -p folio-tests --test e2e citus::";

fn script_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/citus/distribute.sql")
}

/// What one line of the script does to a table.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Reference,
    Distributed {
        column: String,
        colocate_with: String,
    },
    Local,
}

/// The tables the script names, in order, each with what its line does. A table named on
/// two lines is returned twice.
fn parse(script: &str) -> Vec<(String, Line)> {
    let quoted = |s: &str| -> Vec<String> {
        s.split('\'')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let mut out = Vec::new();
    for line in script.lines() {
        if let Some(rest) = line.strip_prefix("-- not distributed: ") {
            out.push((rest.trim().to_owned(), Line::Local));
        } else if line.starts_with("--") {
            continue;
        } else if line.starts_with("select create_reference_table(") {
            let q = quoted(line);
            out.push((q[0].clone(), Line::Reference));
        } else if line.starts_with("select create_distributed_table(") {
            let q = quoted(line);
            assert!(line.contains("colocate_with => "), "{line}");
            out.push((
                q[0].clone(),
                Line::Distributed {
                    column: q[1].clone(),
                    colocate_with: q[2].clone(),
                },
            ));
        } else {
            assert!(
                line.trim().is_empty(),
                "unexpected line in the script: {line}"
            );
        }
    }
    out
}

#[tokio::test]
async fn the_committed_distribution_script_is_generated_from_the_catalog() {
    let db = TestDatabase::create().await;
    let catalog = Catalog::read(&db.pool).await.unwrap();
    let plan = Plan::from_catalog(&catalog).unwrap();
    let generated = plan.script(&catalog);
    let path = script_path();
    if std::env::var_os("FOLIO_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "{} is not what the migrated catalog generates (first difference at line {}):\n\
             committed: {:?}\ngenerated: {:?}\nrefresh it with\n    {REFRESH}",
            path.display(),
            first + 1,
            committed.lines().nth(first),
            generated.lines().nth(first),
        );
    }
    db.drop_database().await;
}

#[tokio::test]
async fn every_table_is_placed_once_in_an_order_citus_accepts() {
    let db = TestDatabase::create().await;
    let catalog = Catalog::read(&db.pool).await.unwrap();
    // The committed file, not a fresh generation: this is what an operator runs.
    let script = std::fs::read_to_string(script_path()).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with\n    {REFRESH}",
            script_path().display()
        )
    });
    let lines = parse(&script);

    let mut times: BTreeMap<&str, usize> = BTreeMap::new();
    for (table, _) in &lines {
        *times.entry(table.as_str()).or_default() += 1;
    }
    for table in &catalog.tables {
        assert_eq!(
            times.get(table.name.as_str()).copied().unwrap_or(0),
            1,
            "table {} must appear in the script exactly once; refresh it with\n    {REFRESH}",
            table.name
        );
    }
    for table in times.keys() {
        assert!(
            catalog.tables.iter().any(|t| t.name == *table),
            "the script names {table}, which the catalog does not have; refresh it with\n    {REFRESH}"
        );
    }

    // Tenant tables distributed by tenant_id, all colocated with the first of them, which
    // starts its own group; tables without tenant_id are reference or local tables.
    let position: BTreeMap<&str, usize> = lines
        .iter()
        .enumerate()
        .map(|(i, (t, _))| (t.as_str(), i))
        .collect();
    let tenant = catalog.tenant_tables();
    let anchor = lines
        .iter()
        .find(|(_, l)| matches!(l, Line::Distributed { .. }))
        .map(|(t, _)| t.clone())
        .expect("a distributed table");
    for (table, line) in &lines {
        match line {
            Line::Distributed {
                column,
                colocate_with,
            } => {
                assert!(
                    tenant.contains(table),
                    "{table} has no tenant_id but is distributed"
                );
                assert_eq!(column, "tenant_id", "{table}");
                let expected = if *table == anchor {
                    "none"
                } else {
                    anchor.as_str()
                };
                assert_eq!(
                    colocate_with, expected,
                    "{table} is not colocated with {anchor}"
                );
            }
            Line::Reference | Line::Local => {
                assert!(
                    !tenant.contains(table),
                    "tenant table {table} is not distributed"
                );
            }
        }
    }
    assert!(
        lines
            .iter()
            .any(|(t, l)| t == "tenants" && *l == Line::Reference),
        "tenants must be a reference table"
    );

    // Citus refuses a foreign key to a table that is not yet a Citus table, and a key from
    // a Citus table to a local one.
    for (from, to, name) in &catalog.foreign_keys {
        if from == to {
            continue;
        }
        assert!(
            position[to.as_str()] < position[from.as_str()],
            "{name}: {to} must be handled before {from}"
        );
        assert_ne!(
            lines[position[to.as_str()]].1,
            Line::Local,
            "{name} points at a local table"
        );
    }
    db.drop_database().await;
}

/// Citus's two functions, as far as the script's ordering depends on them: each records
/// its table and refuses what Citus refuses for foreign keys and colocation.
const STAND_IN: &str = r#"
create schema citus_stand_in;
create table citus_stand_in.placed (
    tbl regclass primary key, kind text not null, colocated_with text, at serial);

create function citus_stand_in.check_keys(t regclass) returns void language plpgsql as $$
declare missing text;
begin
    select string_agg(k.conname, ', ') into missing
    from pg_constraint k
    where k.conrelid = t and k.contype = 'f' and k.confrelid <> t
      and not exists (select 1 from citus_stand_in.placed p where p.tbl = k.confrelid);
    if missing is not null then
        raise exception 'foreign keys of % to tables not yet distributed: %', t, missing;
    end if;
end $$;

create function public.create_reference_table(table_name regclass) returns void
language plpgsql as $$
begin
    perform citus_stand_in.check_keys(table_name);
    insert into citus_stand_in.placed (tbl, kind) values (table_name, 'reference');
end $$;

create function public.create_distributed_table(
    table_name regclass, distribution_column text, colocate_with text default 'default')
returns void language plpgsql as $$
begin
    if not exists (select 1 from pg_attribute
                   where attrelid = table_name and attname = distribution_column) then
        raise exception '% has no column %', table_name, distribution_column;
    end if;
    if colocate_with not in ('default', 'none') and not exists (
        select 1 from citus_stand_in.placed p
        where p.tbl = create_distributed_table.colocate_with::regclass
          and p.kind = 'distributed') then
        raise exception 'colocate_with % is not distributed yet', colocate_with;
    end if;
    perform citus_stand_in.check_keys(table_name);
    insert into citus_stand_in.placed (tbl, kind, colocated_with)
    values (table_name, 'distributed', create_distributed_table.colocate_with);
end $$;
"#;

#[tokio::test]
async fn the_script_runs_in_order_against_a_stand_in_for_citus() {
    let db = TestDatabase::create().await;
    sqlx::raw_sql(STAND_IN).execute(&db.pool).await.unwrap();
    let script = std::fs::read_to_string(script_path()).unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(script))
        .execute(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("distribute.sql failed against the stand-in: {e}"));
    let unplaced: Vec<String> = sqlx::query_scalar(
        "select c.relname::text from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'p')
           and not exists (select 1 from citus_stand_in.placed p where p.tbl = c.oid)
         order by 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    // Local tables are the only ones the script leaves alone.
    let local: Vec<&str> = folio_tests::citus::LOCAL_TABLES
        .iter()
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(unplaced, local);
    db.drop_database().await;
}
