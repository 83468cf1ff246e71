-- What each `folio work` process reports about itself on every heartbeat, so that every
-- process's `/readyz` can tell the truth about the background work (issue 21): a worker
-- restarting after a failure, a scheduler that has stopped ticking, an outbox whose oldest
-- email has waited too long. A platform table: it holds no tenant's data.
create table worker_processes (
    name              text primary key check (length(name) <= 200),
    version           text not null check (length(version) <= 100),
    started_at        timestamptz not null,
    seen_at           timestamptz not null,
    beat_secs         integer not null check (beat_secs > 0),
    jobs_running      boolean not null,
    scheduler_running boolean not null,
    restarts          bigint not null default 0 check (restarts >= 0),
    tick_period_secs  integer not null check (tick_period_secs > 0),
    last_tick_at      timestamptz,
    outbox_pending    bigint check (outbox_pending >= 0),
    outbox_oldest_at  timestamptz,
    stopped_at        timestamptz
);
create index worker_processes_seen_idx on worker_processes (seen_at);
