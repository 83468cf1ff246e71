-- Time log: a learner's record of learning, the evidence behind their off-the-job hours.
-- One row per entry; whole minutes, never fractional hours, so sums are exact.

create table time_log_entries (
    tenant_id      uuid not null references tenants (id),
    id             uuid not null,
    enrolment_id   uuid not null,
    entry_date     date not null,
    activity_type  text not null check (activity_type in (
                       'face_to_face_session', 'trainer_led_training', 'distance_learning',
                       'coaching_mentoring', 'technical_experience', 'review_feedback_support',
                       'assessment_examination')),
    -- What the learning was against; all optional, and always within the enrolment's
    -- course (the API checks that; the keys keep each reference inside the tenant).
    course_id      uuid,
    component_id   uuid,
    unit_id        uuid,
    with_assessor  boolean not null default false,
    off_the_job    boolean not null,
    minutes        integer not null check (minutes > 0 and minutes <= 1440),
    reflection     text check (length(reflection) <= 5000),
    -- Who wrote it: the learner, staff on their behalf, or an attended session (which
    -- writes its entry itself and owns it: the API refuses to edit or delete those).
    source         text not null check (source in ('learner', 'staff', 'session')),
    -- The learning-plan session that wrote this entry; one entry per session at most, so
    -- saving an attended outcome twice cannot log the time twice. The sessions table does
    -- not exist yet; its migration adds the foreign key.
    session_id     uuid,
    created_by     uuid not null,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint time_log_entries_session_check check ((source = 'session') = (session_id is not null)),
    constraint time_log_entries_enrolment_fkey foreign key (tenant_id, enrolment_id)
        references enrolments (tenant_id, id),
    constraint time_log_entries_course_fkey foreign key (tenant_id, course_id)
        references courses (tenant_id, id),
    constraint time_log_entries_component_fkey foreign key (tenant_id, component_id)
        references components (tenant_id, id),
    constraint time_log_entries_unit_fkey foreign key (tenant_id, unit_id)
        references units (tenant_id, id),
    constraint time_log_entries_created_by_fkey foreign key (tenant_id, created_by)
        references users (tenant_id, id)
);
create index time_log_entries_enrolment_date_idx on time_log_entries (tenant_id, enrolment_id, entry_date);
create unique index time_log_entries_session_key on time_log_entries (tenant_id, session_id)
    where session_id is not null;
create index time_log_entries_component_idx on time_log_entries (tenant_id, component_id) where component_id is not null;
create index time_log_entries_unit_idx on time_log_entries (tenant_id, unit_id) where unit_id is not null;
select enable_tenant_isolation('time_log_entries');
