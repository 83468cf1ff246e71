//! The schema itself guarantees tenant isolation. These checks read PostgreSQL's catalog, so
//! every table a later migration adds is covered without anyone remembering to add a test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use folio_tests::TestDatabase;

/// Tables without `tenant_id` that are deliberately the platform's own: the tenants, the
/// migrations, the apprenticeship standards' published minimums (public data the
/// operator imports and every tenant reads), and the worker processes' health reports.
const PLATFORM_TABLES: &[&str] = &[
    "tenants",
    "_sqlx_migrations",
    "apprenticeship_standards",
    "worker_processes",
];

async fn strings(db: &TestDatabase, sql: &'static str) -> Vec<String> {
    sqlx::query_scalar(sql)
        .fetch_all(&db.pool)
        .await
        .expect(sql)
}

#[tokio::test]
async fn every_tenant_table_is_isolated_by_forced_row_level_security() {
    let db = TestDatabase::create().await;

    let tenant_tables = strings(&db, "
        select c.relname::text from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
        order by 1").await;
    assert!(
        tenant_tables.len() >= 7,
        "tenant tables found: {tenant_tables:?}"
    );

    let not_forced = strings(&db, "
        select c.relname::text from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')
          and not (c.relrowsecurity and c.relforcerowsecurity)").await;
    assert!(
        not_forced.is_empty(),
        "row-level security not enabled and forced: {not_forced:?}"
    );

    let without_policy = strings(&db, "
        select c.relname::text from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')
          and not exists (
              select 1 from pg_policies p
              where p.schemaname = 'public' and p.tablename = c.relname
                and p.cmd = 'ALL' and p.permissive = 'PERMISSIVE'
                and p.qual like '%tenant_id = current_tenant()%'
                and p.with_check like '%tenant_id = current_tenant()%')").await;
    assert!(
        without_policy.is_empty(),
        "no tenant_isolation policy on: {without_policy:?}"
    );

    let extra_permissive = strings(
        &db,
        "
        select p.tablename || '.' || p.policyname from pg_policies p
        where p.schemaname = 'public' and p.permissive = 'PERMISSIVE'
          and p.tablename in (select c.relname from pg_class c
                              join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id')
          and p.policyname <> 'tenant_isolation'",
    )
    .await;
    assert!(
        extra_permissive.is_empty(),
        "permissive policies that widen access: {extra_permissive:?}"
    );

    // Primary keys, unique constraints and foreign keys all carry tenant_id: a reference
    // across tenants is impossible by construction, and rows co-locate by tenant.
    let keys_without_tenant = strings(
        &db,
        "
        select c.relname || '.' || k.conname from pg_constraint k
        join pg_class c on c.oid = k.conrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute t on t.attrelid = c.oid and t.attname = 'tenant_id'
        where n.nspname = 'public' and k.contype in ('p', 'u', 'f')
          and not (t.attnum = any (k.conkey))",
    )
    .await;
    assert!(
        keys_without_tenant.is_empty(),
        "keys without tenant_id: {keys_without_tenant:?}"
    );

    let missing_primary_key = strings(&db, "
        select c.relname::text from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')
          and not exists (select 1 from pg_constraint k where k.conrelid = c.oid and k.contype = 'p')").await;
    assert!(
        missing_primary_key.is_empty(),
        "tenant tables without a primary key: {missing_primary_key:?}"
    );

    let unique_indexes_without_tenant = strings(
        &db,
        "
        select i.relname::text from pg_index x
        join pg_class i on i.oid = x.indexrelid
        join pg_class c on c.oid = x.indrelid
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute t on t.attrelid = c.oid and t.attname = 'tenant_id'
        where n.nspname = 'public' and x.indisunique and not (t.attnum = any (x.indkey::int2[]))",
    )
    .await;
    assert!(
        unique_indexes_without_tenant.is_empty(),
        "unique indexes without tenant_id: {unique_indexes_without_tenant:?}"
    );

    db.drop_database().await;
}

#[tokio::test]
async fn every_other_table_is_a_known_platform_table() {
    let db = TestDatabase::create().await;
    let others = strings(&db, "
        select c.relname::text from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')
        order by 1").await;
    for table in &others {
        assert!(
            PLATFORM_TABLES.contains(&table.as_str()),
            "{table} has no tenant_id and is not a platform table"
        );
    }
    db.drop_database().await;
}

#[tokio::test]
async fn the_application_role_cannot_bypass_row_level_security() {
    let db = TestDatabase::create().await;
    let (superuser, bypass, login): (bool, bool, bool) = sqlx::query_as(
        "select rolsuper, rolbypassrls, rolcanlogin from pg_roles where rolname = 'folio_app'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("folio_app exists");
    assert!(!superuser && !bypass && !login);

    let owns_tables: i64 = sqlx::query_scalar(
        "select count(*) from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = 'folio_app'",
    )
    .fetch_one(&db.pool)
    .await
    .expect("ownership");
    assert_eq!(
        owns_tables, 0,
        "folio_app must not own tables (owners can disable RLS)"
    );

    // Without a tenant, the application role sees nothing, even in a table with rows.
    sqlx::query(
        "insert into tenants (id, slug, name) values (gen_random_uuid(), 'nobody', 'Nobody')",
    )
    .execute(&db.pool)
    .await
    .expect("tenant");
    let mut tx = db.pool.begin().await.expect("begin");
    sqlx::query("set local role folio_app")
        .execute(&mut *tx)
        .await
        .expect("set role");
    let visible: i64 = sqlx::query_scalar("select count(*) from tenants")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    assert_eq!(visible, 0);
    tx.rollback().await.expect("rollback");

    db.drop_database().await;
}

#[tokio::test]
async fn the_process_refuses_to_start_when_a_tenant_table_is_not_isolated() {
    let db = TestDatabase::create().await;
    let database = folio_db::Database::from_pool(db.pool.clone());
    assert_eq!(database.verify_isolation().await, Ok(()));
    sqlx::query("alter table employers no force row level security")
        .execute(&db.pool)
        .await
        .unwrap();
    let refused = database.verify_isolation().await.unwrap_err();
    assert!(refused.contains("employers"), "{refused}");
    sqlx::query("alter table employers force row level security")
        .execute(&db.pool)
        .await
        .unwrap();
    assert_eq!(database.verify_isolation().await, Ok(()));

    // Permissive policies are OR-ed: one more that lets everything through opens the table.
    sqlx::query("create policy everyone on users using (true)")
        .execute(&db.pool)
        .await
        .unwrap();
    let refused = database.verify_isolation().await.unwrap_err();
    assert!(refused.contains("users"), "{refused}");
    db.drop_database().await;
}

#[tokio::test]
async fn evidence_can_only_be_mapped_within_its_own_enrolment() {
    let db = TestDatabase::create().await;
    // Two enrolments of one learner; evidence of the first mapped under the second.
    let err = sqlx::query(
        "with t as (insert into tenants (id, slug, name) values (gen_random_uuid(), 'integrity', 'I') returning id),
              u as (insert into users (tenant_id, id, email, name) select id, gen_random_uuid(), 'l@i.example', 'L' from t returning tenant_id, id),
              c as (insert into courses (tenant_id, id, code, title) select id, gen_random_uuid(), 'C', 'C' from t returning tenant_id, id),
              k as (insert into components (tenant_id, id, course_id, title) select tenant_id, gen_random_uuid(), id, 'K' from c returning tenant_id, id),
              un as (insert into units (tenant_id, id, component_id, code, title) select tenant_id, gen_random_uuid(), id, 'U', 'U' from k returning tenant_id, id),
              cr as (insert into criteria (tenant_id, id, unit_id, code, text) select tenant_id, gen_random_uuid(), id, '1', 'x' from un returning tenant_id, id),
              e1 as (insert into enrolments (tenant_id, id, learner_id, course_id, start_date, planned_end_date, contracted_hours_per_week, planned_otj_hours)
                     select u.tenant_id, gen_random_uuid(), u.id, c.id, '2026-01-01', '2027-01-01', 30, 300 from u, c returning tenant_id, id),
              e2 as (insert into enrolments (tenant_id, id, learner_id, course_id, start_date, planned_end_date, contracted_hours_per_week, planned_otj_hours)
                     select u.tenant_id, gen_random_uuid(), u.id, c.id, '2026-01-01', '2027-01-01', 30, 300 from u, c returning tenant_id, id),
              ev as (insert into evidence (tenant_id, id, enrolment_id, component_id, title, declared_own_work, signature_name, signed_at, uploaded_by)
                     select e1.tenant_id, gen_random_uuid(), e1.id, k.id, 'E', true, 'L', now(), u.id from e1, k, u returning tenant_id, id)
         insert into criterion_mappings (tenant_id, enrolment_id, criterion_id, evidence_id, mapped_by)
         select e2.tenant_id, e2.id, cr.id, ev.id, u.id from e2, cr, ev, u",
    )
    .execute(&db.pool)
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("criterion_mappings_evidence_enrolment_fkey"),
        "{err}"
    );
    db.drop_database().await;
}

#[tokio::test]
async fn the_application_role_may_only_read_the_published_standards() {
    let db = TestDatabase::create().await;
    let privileges: Vec<bool> = sqlx::query_scalar(
        "select has_table_privilege('folio_app', 'apprenticeship_standards', p)
         from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) as p",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(privileges, [true, false, false, false]);
    db.drop_database().await;
}
