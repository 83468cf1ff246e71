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
-- Prerequisites (see infra/SCALING.md, "Distributed PostgreSQL"):
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
-- 1. Triggers on tables distributed here: components_figures_deleted on components (calls
--   components_figures_changed); components_figures_inserted on components (calls
--   components_figures_changed); components_figures_updated on components (calls
--   components_figures_changed); criteria_figures_deleted on criteria (calls
--   criteria_figures_changed); criteria_figures_inserted on criteria (calls
--   criteria_figures_changed); criteria_figures_updated on criteria (calls
--   criteria_figures_changed); criterion_mappings_figures_deleted on criterion_mappings
--   (calls enrolment_figures_changed); criterion_mappings_figures_inserted on
--   criterion_mappings (calls enrolment_figures_changed);
--   criterion_mappings_figures_updated on criterion_mappings (calls
--   enrolment_figures_changed); criterion_sign_offs_figures_deleted on criterion_sign_offs
--   (calls enrolment_figures_changed); criterion_sign_offs_figures_inserted on
--   criterion_sign_offs (calls enrolment_figures_changed);
--   criterion_sign_offs_figures_updated on criterion_sign_offs (calls
--   enrolment_figures_changed); documents_fixed_once_fully_signed on documents (calls
--   documents_fixed_once_fully_signed); enrolment_breaks_figures_deleted on
--   enrolment_breaks (calls enrolment_figures_changed); enrolment_breaks_figures_inserted
--   on enrolment_breaks (calls enrolment_figures_changed); enrolment_breaks_figures_updated
--   on enrolment_breaks (calls enrolment_figures_changed);
--   enrolment_optional_units_figures_deleted on enrolment_optional_units (calls
--   enrolment_figures_changed); enrolment_optional_units_figures_inserted on
--   enrolment_optional_units (calls enrolment_figures_changed);
--   enrolment_optional_units_figures_updated on enrolment_optional_units (calls
--   enrolment_figures_changed); enrolments_figures_inserted on enrolments (calls
--   enrolment_figures_started); enrolments_figures_updated on enrolments (calls
--   enrolment_timeline_changed); enrolments_keep_fixed_fields on enrolments (calls
--   enrolments_keep_fixed_fields); enrolments_keep_rpl_fixed on enrolments (calls
--   enrolments_keep_rpl_fixed); tenant_settings_figures_inserted on tenant_settings (calls
--   settings_figures_changed); tenant_settings_figures_updated on tenant_settings (calls
--   settings_figures_changed); units_figures_deleted on units (calls
--   units_figures_changed); units_figures_inserted on units (calls units_figures_changed);
--   units_figures_updated on units (calls units_figures_changed). [verified] Citus has
--   citus.enable_unsafe_triggers, off by default ("enables arbitrary triggers on
--   distributed tables which may cause visibility and deadlock issues", Citus source), and
--   its regression tests (distributed_triggers.sql) turn it on on the coordinator and the
--   workers, including for a trigger that reads a colocated distributed table filtered by
--   the row's distribution column, as documents_fixed_once_fully_signed does
--   (document_signers and document_signatures of old.tenant_id). [unverified] That
--   create_distributed_table accepts these tables with their triggers once the setting is
--   on; otherwise drop the triggers, distribute, and create them again.
-- 2. The *_figures_* triggers (migration 0043) mark the track figures a change affects with
--   pg_current_xact_id(), most of them statement-level with transition tables. [unverified]
--   Citus is reported (its pull request 5705) to refuse statement-level triggers on
--   distributed tables, and on a worker the transaction id is the worker's own, not the
--   coordinator's that commits: on Citus the marks would have to be written by the
--   application (the use cases that change sign-offs, mappings, breaks, optional units,
--   enrolment dates, courses and the track rule) before tracks::refresh_marked reads them.
-- 3. Row-level security: 57 policies on 57 tables (56 of the 56 tenant tables; on platform
--   tables: tenants.tenant_self). [verified] (Citus source, commands/policy.c) a
--   distributed table's policies are recreated on its shards, later CREATE, ALTER and DROP
--   POLICY are propagated, and a policy with a subquery is refused (these have none).
--   [unverified] ENABLE and FORCE ROW LEVEL SECURITY reach the shards. The policies call
--   current_tenant(), which reads the transaction-local app.tenant_id: [verified] Citus
--   forwards SET LOCAL commands to the workers' connections only with
--   citus.propagate_set_commands = 'local' (default 'none'). [unverified] TenantTx's
--   set_config() call is not such a command and so does not reach the workers: see
--   infra/SCALING.md.
-- 4. Functions of the schema: components_figures_changed (volatile),
--   criteria_figures_changed (volatile), current_tenant (stable),
--   documents_fixed_once_fully_signed (volatile), enable_tenant_isolation (volatile),
--   enrolment_figures_changed (volatile), enrolment_figures_started (volatile),
--   enrolment_timeline_changed (volatile), enrolments_keep_fixed_fields (volatile),
--   enrolments_keep_rpl_fixed (volatile), mark_component_figures (volatile),
--   mark_course_figures (volatile), mark_enrolment_figures (volatile), mark_unit_figures
--   (volatile), settings_figures_changed (volatile), tenant_tz (stable),
--   units_figures_changed (volatile). current_tenant() must exist on every worker (policies
--   and their shards call it there), and so must the trigger functions. [unverified] Citus
--   11+ propagates a function a distributed table depends on when the table is distributed,
--   and CREATE FUNCTION afterwards; otherwise use create_distributed_function() or create
--   them on the workers.
-- 5. Column defaults: ''::text, 'active'::text, 'awaiting_induction'::text, 'email'::text,
--   'invite_only'::text, 'outstanding'::text, 'password'::text, 'pending'::text,
--   'queued'::text, 'requested'::text, 'submitted'::text, '{openid,email,profile}'::text[],
--   '{}'::jsonb, '{}'::text[], 0, false, now(), true. [unverified] Citus evaluates now()
--   and other non-immutable defaults on the coordinator before routing an INSERT, so a row
--   gets one value whatever shard it lands in.
-- 6. Sequences, identity and generated columns: none. Ids are UUIDs made by the
--   application, so no sequence has to be shared across nodes.
-- 7. Foreign keys: 38 from tenant tables to reference tables (apprenticeship_standards,
--   tenants, worker_processes) and 109 between tenant tables. [verified] (Citus regression
--   tests and error messages) foreign keys are supported between colocated distributed
--   tables when they include the distribution column, and from distributed to reference
--   tables, not from reference to distributed tables; tests/tests/e2e/catalog.rs checks
--   that every key of a tenant table includes tenant_id. [unverified] The referenced table
--   must already be a Citus table when the referencing one is distributed, hence the order
--   below.
-- 8. Views: auditor_grants_in_force, auditor_reach, user_roles_in_force. [unverified] Check
--   how Citus plans them.
-- 9. Roles and grants: folio_app and its grants are made by the migrations on the
--   coordinator. [unverified] Citus 11+ propagates CREATE ROLE and GRANT to the workers;
--   the role made inside a DO block of migration 0001 may need creating on the workers by
--   hand.
-- 10. Migrations after distribution: a migration that creates a tenant table must also
--   distribute it (this script is for the first conversion); ALTER TABLE and CREATE INDEX
--   on distributed tables are propagated by Citus. [unverified] enable_tenant_isolation()
--   runs its DDL through EXECUTE; check that Citus propagates it from inside a function.


-- Platform tables first: reference tables before the tables that reference them.
-- _sqlx_migrations stays a local table on the coordinator: the migrator's own history of
--   the schema. Only `folio migrate`, connected to the coordinator, reads or writes it and
--   no query joins it with tenant data; Citus propagates the migrations' DDL from the
--   coordinator, so the history belongs there. As a reference table every migration would
--   write it on every node, for no reader.
-- not distributed: _sqlx_migrations
select create_reference_table('apprenticeship_standards');
select create_reference_table('tenants');
select create_reference_table('worker_processes');

-- Tenant tables, distributed by tenant_id in one colocation group anchored on courses,
-- each after the tables its foreign keys reference.
select create_distributed_table('courses', 'tenant_id', colocate_with => 'none');
select create_distributed_table('components', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('employers', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('login_throttle', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('sso_settings', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('tenant_settings', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('units', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('criteria', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('users', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('api_tokens', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('audit_log', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('auditor_grants', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('course_resources', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('disclaimer_versions', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('disclaimer_acceptances', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('document_files', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('email_outbox', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('enrolments', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('auditor_grant_enrolments', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('criterion_sign_offs', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('documents', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('document_signers', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('document_signatures', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('enrolment_breaks', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('enrolment_optional_units', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('enrolment_track_history', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('enrolment_tracks', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('evidence', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('criterion_mappings', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('evidence_returns', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('evidence_versions', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('gateway_agreements', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('internal_comments', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('iqa_plans', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('iqa_samples', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('iqa_sample_criteria', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('iqa_sample_evidence', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('job_runs', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('exports', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('learning_sessions', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('actions', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('iqa_sample_sessions', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('learning_plan_files', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('messages', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('notification_preferences', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('password_links', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('profiles', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('sessions', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('sso_login_states', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('time_log_entries', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('time_log_trash', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('two_factor', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('two_factor_challenges', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('two_factor_recovery_codes', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('user_identities', 'tenant_id', colocate_with => 'courses');
select create_distributed_table('user_roles', 'tenant_id', colocate_with => 'courses');
