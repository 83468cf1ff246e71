//! No query path joins tenant tables without tenant_id equality.
//!
//! Composite foreign keys already keep a tenant's rows together, and row-level security
//! limits every statement to one tenant, so such a join returns no wrong rows today. On a
//! cluster distributed by tenant_id (infra/citus/distribute.sql) it is what keeps a
//! statement on one node: Citus routes a join of colocated tables to one shard group
//! only when the tables are joined on their distribution column.
//!
//! The SQL is read from the sources of crates/db, jobs and crates/api (string literals and
//! `format!` expansions that start like a statement, see `extract`), parsed with
//! sqlparser's PostgreSQL dialect and checked block by block (see `checker`). Tenant
//! tables are those of the migrated catalog with a tenant_id column. A statement the
//! checker cannot parse or decide fails the test unless [`ALLOWLIST`] names it with a
//! reason; an allowlist entry that matches nothing fails it too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tenant_joins/checker.rs"]
mod checker;
#[path = "tenant_joins/extract.rs"]
mod extract;

use std::collections::BTreeMap;
use std::path::PathBuf;

use checker::{Outcome, Schema, check};
use folio_tests::TestDatabase;

/// Where the application's SQL lives.
const SOURCES: &[&str] = &["crates/db/src", "jobs/src", "crates/api/src"];

/// Statements the check does not pass, each named by its file and a piece of its text,
/// with the reason. Every entry must match at least one statement.
const ALLOWLIST: &[(&str, &str, &str)] = &[
    // sqlparser 0.64 does not parse INSERT … SELECT without FROM followed by ON CONFLICT.
    // Each SELECT below has no FROM: it reads no table, so there is no join to check.
    (
        "crates/db/src/evidence.rs",
        "insert into criterion_mappings (tenant_id, enrolment_id, criterion_id, evidence_id, mapped_by) select $1, $2, unnest($4::uuid[]), $3, $5 on conflict do nothing",
        "does not parse (INSERT … SELECT without FROM … ON CONFLICT); reads no table",
    ),
    (
        "crates/db/src/evidence.rs",
        "insert into criterion_sign_offs (tenant_id, enrolment_id, criterion_id, signed_off_by) select $1, $2, unnest($3::uuid[]), $4 on conflict do nothing",
        "does not parse (INSERT … SELECT without FROM … ON CONFLICT); reads no table",
    ),
    (
        "crates/db/src/enrolments.rs",
        "insert into enrolment_optional_units (tenant_id, enrolment_id, unit_id) select $1, $2, unnest($3::uuid[]) on conflict do nothing",
        "does not parse (INSERT … SELECT without FROM … ON CONFLICT); reads no table",
    ),
    (
        "crates/db/src/users.rs",
        "insert into user_roles (tenant_id, user_id, role) select $1, $2, unnest($3::text[]) on conflict do nothing",
        "does not parse (INSERT … SELECT without FROM … ON CONFLICT); reads no table",
    ),
];

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn schema() -> Schema {
    let db = TestDatabase::create().await;
    let catalog = folio_tests::citus::Catalog::read(&db.pool).await.unwrap();
    // Views are read like tables (`auditor_grants_in_force`): one with a tenant_id column
    // is joined on it like a tenant table.
    let view_columns: Vec<(String, String)> = sqlx::query_as(
        "select c.relname::text, a.attname::text
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         where n.nspname = 'public' and c.relkind = 'v'
         order by c.relname, a.attnum",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    db.drop_database().await;
    let mut tables: BTreeMap<String, Vec<String>> = catalog
        .tables
        .into_iter()
        .map(|t| (t.name, t.columns))
        .collect();
    for (view, column) in view_columns {
        tables.entry(view).or_default().push(column);
    }
    Schema { tables }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn every_join_of_tenant_tables_equates_tenant_id() {
    let schema = schema().await;
    assert!(schema.tables.len() > 20, "{:?}", schema.tables.keys());
    let root = workspace();
    let files = extract::rust_files(&root, SOURCES);
    let sites = extract::statements(&root, &files);

    // One check per distinct statement text; each keeps the places it comes from.
    let mut statements: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for site in &sites {
        statements
            .entry(site.sql.clone())
            .or_default()
            .push((site.file.clone(), site.line));
    }
    let mut used = vec![false; ALLOWLIST.len()];
    let mut failures = Vec::new();
    let (mut passed, mut allowed) = (0, 0);
    for (sql, places) in &statements {
        let site = extract::Site {
            file: places[0].0.clone(),
            line: places[0].1,
            sql: sql.clone(),
        };
        let unresolved = site.unresolved();
        let outcome = if unresolved.is_empty() {
            check(&schema, sql)
        } else {
            Outcome::Undecided(format!(
                "unresolved in the source: {}",
                unresolved.join(", ")
            ))
        };
        if outcome == Outcome::Ok {
            passed += 1;
            continue;
        }
        let text = squash(sql);
        let entry = ALLOWLIST.iter().position(|(file, needle, _)| {
            places.iter().any(|(f, _)| f == file) && text.contains(&squash(needle))
        });
        match entry {
            Some(i) => {
                used[i] = true;
                allowed += 1;
            }
            None => {
                let at = places
                    .iter()
                    .map(|(f, l)| format!("{f}:{l}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                failures.push(format!(
                    "{at}\n  {outcome:?}\n  {}",
                    text.chars().take(300).collect::<String>()
                ));
            }
        }
    }
    println!(
        "tenant joins: {} statements from {} places in {} files: {passed} pass the check, \
         {allowed} allowlisted, {} fail",
        statements.len(),
        sites.len(),
        files.len(),
        failures.len()
    );
    for (i, (file, needle, reason)) in ALLOWLIST.iter().enumerate() {
        println!("allowlisted: {file}: {needle:?}: {reason}");
        assert!(
            used[i],
            "allowlist entry matches no statement: {file}: {needle:?}"
        );
    }
    assert!(
        failures.is_empty(),
        "{} statements fail the tenant join check:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    // The extractor found the application's SQL (a broken one would find nothing).
    assert!(
        statements.len() > 200,
        "only {} statements found",
        statements.len()
    );
}

/// A small schema for the checker's own cases.
fn toy() -> Schema {
    let cols = |c: &[&str]| c.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    Schema {
        tables: [
            ("tenants", cols(&["id", "slug"])),
            ("users", cols(&["tenant_id", "id", "name"])),
            (
                "enrolments",
                cols(&["tenant_id", "id", "learner_id", "course_id"]),
            ),
            ("courses", cols(&["tenant_id", "id", "title"])),
        ]
        .into_iter()
        .map(|(t, c)| (t.to_owned(), c))
        .collect(),
    }
}

fn violates(sql: &str) -> bool {
    match check(&toy(), sql) {
        Outcome::Ok => false,
        Outcome::Violations(_) => true,
        Outcome::Undecided(why) => panic!("undecided: {why}\n{sql}"),
    }
}

#[test]
fn the_checker_flags_joins_without_tenant_id_equality() {
    // JOIN … ON on the id alone.
    assert!(violates(
        "select 1 from enrolments e join users u on u.id = e.learner_id where e.tenant_id = $1"
    ));
    // Comma join with the condition in WHERE.
    assert!(violates(
        "select 1 from enrolments e, users u where u.id = e.learner_id and e.tenant_id = $1"
    ));
    // Each side pinned to a different parameter.
    assert!(violates(
        "select 1 from enrolments e join users u on u.id = e.learner_id \
         where e.tenant_id = $1 and u.tenant_id = $2"
    ));
    // The equality only under OR does not count.
    assert!(violates(
        "select 1 from enrolments e join users u on u.id = e.learner_id \
         and (u.tenant_id = e.tenant_id or u.name = 'x')"
    ));
    // A derived table that hides its tenant.
    assert!(violates(
        "select 1 from enrolments e join (select id from users) u on u.id = e.learner_id \
         where e.tenant_id = $1"
    ));
    // A CTE that exposes no tenant_id, joined on the id alone.
    assert!(violates(
        "with l as (select id from users where name = $2) \
         select 1 from enrolments e join l on l.id = e.learner_id where e.tenant_id = $1"
    ));
    // A LATERAL subquery correlated on the id alone.
    assert!(violates(
        "select 1 from enrolments e, lateral (select u.name from users u where u.id = e.learner_id) x \
         where e.tenant_id = $1"
    ));
    // A correlated subquery in WHERE.
    assert!(violates(
        "select 1 from enrolments e where e.tenant_id = $1 \
         and exists (select 1 from users u where u.id = e.learner_id)"
    ));
    // IN (subquery) reading another tenant's rows.
    assert!(violates(
        "select 1 from enrolments e where e.tenant_id = $1 and e.learner_id in (select id from users)"
    ));
    // UPDATE … FROM and DELETE … USING.
    assert!(violates(
        "update enrolments e set course_id = c.id from courses c where c.title = e.id::text and e.tenant_id = $1"
    ));
    assert!(violates(
        "delete from enrolments e using users u where u.id = e.learner_id and u.tenant_id = $1"
    ));
    // INSERT … SELECT that writes a tenant_id other than that of the rows it reads.
    assert!(violates(
        "insert into courses (tenant_id, id, title) select $2, gen_random_uuid(), name from users where tenant_id = $1"
    ));
    // Three tables, the third joined on its id only.
    assert!(violates(
        "select 1 from enrolments e join users u on u.tenant_id = e.tenant_id and u.id = e.learner_id \
         join courses c on c.id = e.course_id"
    ));
}

#[test]
fn the_checker_accepts_joins_on_tenant_id() {
    let ok = |sql: &str| assert!(!violates(sql), "{sql}");
    ok(
        "select 1 from enrolments e join users u on u.tenant_id = e.tenant_id and u.id = e.learner_id",
    );
    ok(
        "select 1 from enrolments e join users u on u.id = e.learner_id \
        where e.tenant_id = $1 and u.tenant_id = $1",
    );
    ok(
        "select 1 from enrolments e, users u where u.tenant_id = e.tenant_id and u.id = e.learner_id",
    );
    ok("select 1 from enrolments e join users u using (tenant_id) where u.id = e.learner_id");
    ok(
        "select 1 from enrolments e join (select tenant_id, id from users) u \
        on u.tenant_id = e.tenant_id and u.id = e.learner_id",
    );
    ok(
        "select 1 from enrolments e join (select id from users where tenant_id = $1) u \
        on u.id = e.learner_id where e.tenant_id = $1",
    );
    ok("with l as (select tenant_id as t, id from users) \
        select 1 from enrolments e join l on l.t = e.tenant_id and l.id = e.learner_id");
    ok(
        "select 1 from enrolments e, lateral (select u.name from users u \
        where u.tenant_id = e.tenant_id and u.id = e.learner_id) x where e.tenant_id = $1",
    );
    ok(
        "select 1 from enrolments e where e.tenant_id = $1 and not exists \
        (select 1 from users u where u.tenant_id = e.tenant_id and u.id = e.learner_id)",
    );
    ok("select 1 from enrolments e where e.tenant_id = $1 \
        and e.learner_id in (select id from users where tenant_id = $1)");
    ok("update enrolments e set course_id = c.id from courses c \
        where c.tenant_id = e.tenant_id and c.title = 'x' and e.tenant_id = $1");
    ok(
        "insert into courses (tenant_id, id, title) select tenant_id, gen_random_uuid(), name from users where id = $1",
    );
    ok(
        "insert into courses (tenant_id, id, title) values ($1, $2, (select name from users where tenant_id = $1 and id = $3))",
    );
    // A platform table joins a tenant table on its key: reference tables need no equality.
    ok("select u.name from users u join tenants t on t.id = u.tenant_id where t.slug = $1");
    // Row equality counts, casts do not matter.
    ok(
        "select 1 from enrolments e join users u on (u.tenant_id, u.id) = (e.tenant_id, e.learner_id)",
    );
    ok(
        "select 1 from enrolments e join users u on u.id = e.learner_id \
        where e.tenant_id = $1::uuid and u.tenant_id = $1::uuid",
    );
    // One table alone needs nothing.
    ok("select count(*) from enrolments where learner_id = $2");
}

#[test]
fn the_checker_says_what_it_cannot_decide() {
    let undecided = |sql: &str| matches!(check(&toy(), sql), Outcome::Undecided(_));
    assert!(undecided(
        "select 1 from nowhere n join users u on u.id = n.id"
    ));
    assert!(undecided("select from from"));
    assert!(undecided("with recursive r as (select 1) select * from r"));
}
