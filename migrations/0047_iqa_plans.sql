-- IQA sampling plans and what a sample looks at (issue 23, item 1).
--
-- A plan is an IQA's intent for one assessor on one course: sample every learner (a new
-- assessor) or a percentage of them (an experienced one), each at an interim point of the
-- programme and before its end, every unit of the course at least once, and each chosen
-- assessment method at least once. What is planned per learner, and what is done or
-- overdue, is worked out when read (folio_domain::iqa::schedule) from the plan, the
-- learners and the samples taken, so it never goes stale as learners join or leave.
create table iqa_plans (
    tenant_id                   uuid not null references tenants (id),
    id                          uuid not null,
    course_id                   uuid not null,
    assessor_id                 uuid not null,
    strategy                    text not null check (strategy in ('every_learner', 'percentage')),
    percentage                  smallint check (percentage between 1 and 100),
    -- The interim sample falls due this far into the programme (per cent of its days).
    interim_at_percent          smallint not null check (interim_at_percent between 10 and 90),
    -- The summative sample falls due this many weeks before the planned end.
    summative_weeks_before_end  smallint not null check (summative_weeks_before_end between 0 and 52),
    -- The assessment methods to sample at least once.
    methods                     text[] not null,
    created_by                  uuid not null,
    created_at                  timestamptz not null default now(),
    updated_at                  timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, course_id, assessor_id),
    -- A course removed (only ever one no learner is on) takes its plans with it.
    foreign key (tenant_id, course_id) references courses (tenant_id, id) on delete cascade,
    foreign key (tenant_id, assessor_id) references users (tenant_id, id),
    foreign key (tenant_id, created_by) references users (tenant_id, id),
    check ((strategy = 'percentage') = (percentage is not null)),
    check (methods <@ array['observation', 'professional_discussion', 'questioning',
                            'product_of_work', 'witness_testimony', 'written_assessment']::text[])
);
select enable_tenant_isolation('iqa_plans');

-- The assessment method whose decisions a sample looked at, when the IQA says.
alter table iqa_samples
    add column method text check (method in ('observation', 'professional_discussion',
        'questioning', 'product_of_work', 'witness_testimony', 'written_assessment'));
create index iqa_samples_by_assessor_method on iqa_samples (tenant_id, assessor_id, method);

-- The evidence a sample looked at, at the version then current.
create table iqa_sample_evidence (
    tenant_id    uuid not null references tenants (id),
    sample_id    uuid not null,
    evidence_id  uuid not null,
    version      integer not null,
    primary key (tenant_id, sample_id, evidence_id),
    foreign key (tenant_id, sample_id) references iqa_samples (tenant_id, id) on delete cascade,
    foreign key (tenant_id, evidence_id) references evidence (tenant_id, id)
);
select enable_tenant_isolation('iqa_sample_evidence');

-- The sessions (an observation, a review, a teaching session) a sample looked at.
create table iqa_sample_sessions (
    tenant_id   uuid not null references tenants (id),
    sample_id   uuid not null,
    session_id  uuid not null,
    primary key (tenant_id, sample_id, session_id),
    foreign key (tenant_id, sample_id) references iqa_samples (tenant_id, id) on delete cascade,
    foreign key (tenant_id, session_id) references learning_sessions (tenant_id, id)
);
select enable_tenant_isolation('iqa_sample_sessions');
