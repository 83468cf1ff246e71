-- Exports made by the workers: requested through the API (answered 202 with the export),
-- run as a job, kept in the file store until they expire. The export row is the file's
-- record and its progress; its job run (job_runs) is how it travels through the queue.

-- A person asks for an export: a run with a requester that is not an admin's "run now".
alter table job_runs drop constraint job_runs_trigger_check;
alter table job_runs add constraint job_runs_trigger_check
    check (trigger in ('schedule', 'admin', 'operator', 'user'));
alter table job_runs drop constraint job_runs_requester_check;
alter table job_runs add constraint job_runs_requester_check
    check ((trigger in ('admin', 'user')) = (requested_by is not null));

create table exports (
    tenant_id      uuid not null references tenants (id),
    id             uuid not null,
    run_id         uuid not null,
    kind           text not null
                   check (kind in ('compliance_workbook', 'time_log', 'progress_map')),
    requested_by   uuid not null,
    -- What it covers: the whole organisation, an assessor's caseload, or one enrolment.
    scope          text not null check (scope in ('tenant', 'caseload', 'enrolment')),
    assessor_id    uuid,
    enrolment_id   uuid,
    status         text not null default 'queued'
                   check (status in ('queued', 'running', 'ready', 'failed', 'expired')),
    rows_done      bigint not null default 0 check (rows_done >= 0),
    rows_total     bigint check (rows_total >= 0),
    storage_key    text,
    file_name      text check (length(file_name) between 1 and 255),
    content_type   text,
    size_bytes     bigint check (size_bytes >= 0),
    error          text check (length(error) <= 2000),
    created_at     timestamptz not null default now(),
    started_at     timestamptz,
    finished_at    timestamptz,
    expires_at     timestamptz,
    primary key (tenant_id, id),
    constraint exports_run_key unique (tenant_id, run_id),
    constraint exports_run_fkey foreign key (tenant_id, run_id) references job_runs (tenant_id, id),
    constraint exports_requested_by_fkey foreign key (tenant_id, requested_by)
        references users (tenant_id, id),
    constraint exports_assessor_fkey foreign key (tenant_id, assessor_id)
        references users (tenant_id, id),
    constraint exports_enrolment_fkey foreign key (tenant_id, enrolment_id)
        references enrolments (tenant_id, id),
    constraint exports_scope_target_check check (
        (scope = 'caseload') = (assessor_id is not null)
        and (scope = 'enrolment') = (enrolment_id is not null)),
    constraint exports_ready_check check ((status = 'ready') = (storage_key is not null))
);
create index exports_requester_idx on exports (tenant_id, requested_by, created_at desc);
create index exports_expiry_idx on exports (tenant_id, expires_at) where status = 'ready';
select enable_tenant_isolation('exports');
