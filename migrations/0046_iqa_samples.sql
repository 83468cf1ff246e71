-- IQA sampling (issue 23): an IQA samples an assessor's decisions on a learner's
-- programme, the criteria they signed off, and records a decision (agree, disagree,
-- refer), written feedback and what the assessor must do; the assessor answers. A
-- disagreement reopens the sampled sign-offs: they are withdrawn, and the sample keeps
-- who signed each off and when, as the record of what was sampled.
create table iqa_samples (
    tenant_id            uuid not null references tenants (id),
    id                   uuid not null,
    enrolment_id         uuid not null,
    -- The assessor whose decisions were sampled (the programme's assessor then).
    assessor_id          uuid,
    iqa_id               uuid not null,
    stage                text not null check (stage in ('interim', 'summative')),
    decision             text not null check (decision in ('agree', 'disagree', 'refer')),
    feedback             text check (length(feedback) <= 5000),
    action_for_assessor  text check (length(action_for_assessor) <= 2000),
    sampled_at           timestamptz not null default now(),
    response             text check (length(response) <= 5000),
    responded_by         uuid,
    responded_at         timestamptz,
    primary key (tenant_id, id),
    foreign key (tenant_id, enrolment_id) references enrolments (tenant_id, id),
    foreign key (tenant_id, assessor_id) references users (tenant_id, id),
    foreign key (tenant_id, iqa_id) references users (tenant_id, id),
    foreign key (tenant_id, responded_by) references users (tenant_id, id),
    check ((response is null) = (responded_at is null) and (response is null) = (responded_by is null)),
    check (decision = 'agree' or feedback is not null)
);
create index iqa_samples_by_enrolment on iqa_samples (tenant_id, enrolment_id, sampled_at);
create index iqa_samples_by_assessor on iqa_samples (tenant_id, assessor_id, sampled_at);
select enable_tenant_isolation('iqa_samples');

-- The sign-offs a sample looked at, as they were: who signed each off and when, and
-- whether the sample reopened it.
create table iqa_sample_criteria (
    tenant_id      uuid not null references tenants (id),
    sample_id      uuid not null,
    criterion_id   uuid not null,
    signed_off_by  uuid not null,
    signed_off_at  timestamptz not null,
    reopened       boolean not null,
    primary key (tenant_id, sample_id, criterion_id),
    foreign key (tenant_id, sample_id) references iqa_samples (tenant_id, id) on delete cascade,
    foreign key (tenant_id, criterion_id) references criteria (tenant_id, id),
    foreign key (tenant_id, signed_off_by) references users (tenant_id, id)
);
select enable_tenant_isolation('iqa_sample_criteria');
