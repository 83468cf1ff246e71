-- Learning plan: sessions an assessor books with a learner, and the actions (targets) set
-- in them or on their own. An attended session's effects (the induction starting learning,
-- the off-the-job time-log entry) are applied by the API in the transaction that records
-- the outcome; the time-log entry points back here and is unique per session.

-- Named learning_sessions: `sessions` (0001) holds sign-in sessions.
create table learning_sessions (
    tenant_id            uuid not null references tenants (id),
    id                   uuid not null,
    enrolment_id         uuid not null,
    -- Who runs it: the enrolment's assessor when it was booked (or the admin who booked it
    -- for a learner without one).
    assessor_id          uuid not null,
    session_type         text not null check (session_type in (
                             'initial', 'induction', 'review', 'out_of_workplace', 'teaching')),
    starts_at            timestamptz not null,
    duration_minutes     integer not null check (duration_minutes > 0 and duration_minutes <= 1440),
    face_to_face         boolean not null default true,
    planning_notes       text check (length(planning_notes) <= 5000),
    feedback             text check (length(feedback) <= 5000),
    -- Null until recorded; a past session without one is "unclosed" (a compliance flag).
    outcome              text check (outcome in (
                             'attended', 'cancelled', 'learner_did_not_attend', 'assessor_cancelled')),
    outcome_recorded_at  timestamptz,
    created_by           uuid not null,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    primary key (tenant_id, id),
    -- Lets an action name its session together with its enrolment, so an action cannot
    -- point at another learner's session.
    constraint learning_sessions_enrolment_id_key unique (tenant_id, enrolment_id, id),
    constraint learning_sessions_outcome_recorded_check check ((outcome is null) = (outcome_recorded_at is null)),
    constraint learning_sessions_enrolment_fkey foreign key (tenant_id, enrolment_id)
        references enrolments (tenant_id, id),
    constraint learning_sessions_assessor_fkey foreign key (tenant_id, assessor_id)
        references users (tenant_id, id),
    constraint learning_sessions_created_by_fkey foreign key (tenant_id, created_by)
        references users (tenant_id, id)
);
create index learning_sessions_enrolment_starts_idx on learning_sessions (tenant_id, enrolment_id, starts_at);
create index learning_sessions_assessor_starts_idx on learning_sessions (tenant_id, assessor_id, starts_at);
select enable_tenant_isolation('learning_sessions');

create table actions (
    tenant_id           uuid not null references tenants (id),
    id                  uuid not null,
    enrolment_id        uuid not null,
    -- The session it was set in, if any (always one of the same enrolment).
    session_id          uuid,
    title               text not null check (length(title) between 1 and 200),
    description         text check (length(description) <= 5000),
    target_date         date not null,
    status              text not null default 'outstanding'
                        check (status in ('outstanding', 'in_progress', 'complete')),
    learner_feedback    text check (length(learner_feedback) <= 5000),
    time_spent_minutes  integer check (time_spent_minutes >= 0 and time_spent_minutes <= 100000),
    completed_at        timestamptz,
    completed_by        uuid,
    created_by          uuid not null,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint actions_completion_check check (
        (status = 'complete') = (completed_at is not null and completed_by is not null)),
    constraint actions_enrolment_fkey foreign key (tenant_id, enrolment_id)
        references enrolments (tenant_id, id),
    constraint actions_session_fkey foreign key (tenant_id, enrolment_id, session_id)
        references learning_sessions (tenant_id, enrolment_id, id),
    constraint actions_completed_by_fkey foreign key (tenant_id, completed_by)
        references users (tenant_id, id),
    constraint actions_created_by_fkey foreign key (tenant_id, created_by)
        references users (tenant_id, id)
);
create index actions_enrolment_idx on actions (tenant_id, enrolment_id, target_date);
create index actions_session_idx on actions (tenant_id, session_id) where session_id is not null;
select enable_tenant_isolation('actions');

-- The time log's session entries (0006) may now name their session for real.
alter table time_log_entries
    add constraint time_log_entries_session_fkey
    foreign key (tenant_id, session_id) references learning_sessions (tenant_id, id);
