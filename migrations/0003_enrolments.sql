-- Enrolments: a learner on a course, with the people around them, the dates the funding
-- rules care about, and the status history's current state.

create table enrolments (
    tenant_id                  uuid not null references tenants (id),
    id                         uuid not null,
    learner_id                 uuid not null,
    course_id                  uuid not null,
    start_date                 date not null,
    -- Fixed at start (ILR): a changed plan goes in revised_end_date, never over this.
    planned_end_date           date not null,
    revised_end_date           date,
    revised_end_reason         text check (length(revised_end_reason) <= 1000),
    assessor_id                uuid,
    iqa_id                     uuid,
    employer_id                uuid,
    manager_id                 uuid,
    contracted_hours_per_week  numeric(5, 2) not null check (contracted_hours_per_week > 0 and contracted_hours_per_week <= 168),
    -- Fixed at start (ILR).
    planned_otj_hours          numeric(7, 2) not null check (planned_otj_hours >= 0),
    status                     text not null default 'awaiting_induction'
                               check (status in ('awaiting_induction', 'in_learning', 'break_in_learning', 'withdrawn', 'completed')),
    learning_started_on        date,
    withdrawn_on               date,
    withdrawal_reason          text check (length(withdrawal_reason) <= 1000),
    -- Gateway / actual end date.
    completed_on               date,
    created_at                 timestamptz not null default now(),
    updated_at                 timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint enrolments_dates_check check (planned_end_date > start_date),
    constraint enrolments_revised_end_check check (revised_end_date is null or revised_end_date > start_date),
    constraint enrolments_learner_fkey foreign key (tenant_id, learner_id) references users (tenant_id, id),
    constraint enrolments_course_fkey foreign key (tenant_id, course_id) references courses (tenant_id, id),
    constraint enrolments_assessor_fkey foreign key (tenant_id, assessor_id) references users (tenant_id, id),
    constraint enrolments_iqa_fkey foreign key (tenant_id, iqa_id) references users (tenant_id, id),
    constraint enrolments_employer_fkey foreign key (tenant_id, employer_id) references employers (tenant_id, id),
    constraint enrolments_manager_fkey foreign key (tenant_id, manager_id) references users (tenant_id, id),
    check ((status = 'withdrawn') = (withdrawn_on is not null)),
    check ((status = 'completed') = (completed_on is not null))
);
create index enrolments_learner_idx on enrolments (tenant_id, learner_id);
create index enrolments_assessor_idx on enrolments (tenant_id, assessor_id) where assessor_id is not null;
create index enrolments_iqa_idx on enrolments (tenant_id, iqa_id) where iqa_id is not null;
create index enrolments_employer_idx on enrolments (tenant_id, employer_id) where employer_id is not null;
create index enrolments_manager_idx on enrolments (tenant_id, manager_id) where manager_id is not null;
create index enrolments_course_idx on enrolments (tenant_id, course_id);
select enable_tenant_isolation('enrolments');

-- The planned end date and planned off-the-job hours are what the learner was funded on;
-- the official return needs them exactly as they were set at the start.
create function enrolments_keep_fixed_fields() returns trigger
    language plpgsql
    as $$
begin
    if new.planned_end_date <> old.planned_end_date then
        raise exception 'planned_end_date is fixed once set; record a revised end date instead'
            using errcode = 'check_violation', constraint = 'enrolments_planned_end_fixed';
    end if;
    if new.planned_otj_hours <> old.planned_otj_hours then
        raise exception 'planned_otj_hours is fixed once set'
            using errcode = 'check_violation', constraint = 'enrolments_planned_otj_fixed';
    end if;
    return new;
end
$$;
create trigger enrolments_keep_fixed_fields before update on enrolments
    for each row execute function enrolments_keep_fixed_fields();

-- Breaks in learning, kept as history: the current one has no end date.
create table enrolment_breaks (
    tenant_id      uuid not null,
    id             uuid not null,
    enrolment_id   uuid not null,
    started_on     date not null,
    ended_on       date,
    primary key (tenant_id, id),
    foreign key (tenant_id, enrolment_id) references enrolments (tenant_id, id) on delete cascade,
    check (ended_on is null or ended_on >= started_on)
);
create unique index enrolment_breaks_open_key on enrolment_breaks (tenant_id, enrolment_id) where ended_on is null;
select enable_tenant_isolation('enrolment_breaks');

-- Optional units the assessor chose for the learner.
create table enrolment_optional_units (
    tenant_id     uuid not null,
    enrolment_id  uuid not null,
    unit_id       uuid not null,
    chosen_at     timestamptz not null default now(),
    primary key (tenant_id, enrolment_id, unit_id),
    foreign key (tenant_id, enrolment_id) references enrolments (tenant_id, id) on delete cascade,
    constraint enrolment_optional_units_unit_fkey foreign key (tenant_id, unit_id) references units (tenant_id, id) on delete cascade
);
select enable_tenant_isolation('enrolment_optional_units');
