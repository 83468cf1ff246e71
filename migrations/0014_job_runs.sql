-- Background job runs. A row is written before a job is queued and is the job's record
-- from then on: requested → queued (pushed to Redis) → running → succeeded or failed
-- (a failed run is retried by the queue and goes back to running).
--
-- The row comes first so that nothing is lost while Redis is away: a run an admin asks for
-- is `requested` in PostgreSQL, and the workers' scheduler queues every `requested` row it
-- finds. A scheduled run has one row per (tenant, job, local date), enforced by a unique
-- index, however many scheduler instances tick.
create table job_runs (
    tenant_id     uuid not null references tenants (id),
    id            uuid not null,
    kind          text not null check (kind ~ '^[a-z]+(-[a-z]+)*$' and length(kind) <= 50),
    -- The provider's local date the run acts for ("today" for due dates and dedup keys).
    run_on        date not null,
    trigger       text not null check (trigger in ('schedule', 'admin', 'operator')),
    requested_by  uuid,
    status        text not null default 'requested'
                  check (status in ('requested', 'queued', 'running', 'succeeded', 'failed')),
    attempts      integer not null default 0 check (attempts >= 0),
    -- What the run did (counts), once it has succeeded.
    report        jsonb,
    last_error    text check (length(last_error) <= 2000),
    requested_at  timestamptz not null default now(),
    queued_at     timestamptz,
    started_at    timestamptz,
    finished_at   timestamptz,
    primary key (tenant_id, id),
    constraint job_runs_requested_by_fkey foreign key (tenant_id, requested_by)
        references users (tenant_id, id),
    constraint job_runs_requester_check check ((trigger = 'admin') = (requested_by is not null))
);
create unique index job_runs_scheduled_key on job_runs (tenant_id, kind, run_on)
    where trigger = 'schedule';
create index job_runs_status_idx on job_runs (tenant_id, status, requested_at);
create index job_runs_recent_idx on job_runs (tenant_id, requested_at desc);
select enable_tenant_isolation('job_runs');

-- A person's choices about email. Digests (the nightly summaries sent to staff) can be
-- turned off; emails about a person's own work (a message, returned evidence, their own
-- overdue actions) cannot. No row means the defaults.
create table notification_preferences (
    tenant_id   uuid not null references tenants (id),
    user_id     uuid not null,
    digests     boolean not null default true,
    updated_at  timestamptz not null default now(),
    primary key (tenant_id, user_id),
    constraint notification_preferences_user_fkey foreign key (tenant_id, user_id)
        references users (tenant_id, id)
);
select enable_tenant_isolation('notification_preferences');
