-- Deleted time-log entries, kept for a day so that whoever deleted one can undo it. The
-- row is moved here whole (as JSON of the time_log_entries row), so no query of the time
-- log, its totals or the compliance figures has to learn to skip deleted entries: an
-- entry is either logged or here. Restoring moves it back unchanged, id and all.
create table time_log_trash (
    tenant_id     uuid not null references tenants (id),
    id            uuid not null,
    enrolment_id  uuid not null,
    entry         jsonb not null,
    deleted_by    uuid not null,
    deleted_at    timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, enrolment_id) references enrolments (tenant_id, id),
    foreign key (tenant_id, deleted_by) references users (tenant_id, id)
);
create index time_log_trash_deleted_at_idx on time_log_trash (deleted_at);
select enable_tenant_isolation('time_log_trash');
