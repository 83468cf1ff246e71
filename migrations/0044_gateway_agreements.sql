-- Gateway (issue 23): the learner's and the employer's agreement that the learner is
-- ready for gateway, one row per party, kept as the record of who agreed and when. The
-- rest of the readiness checklist (criteria signed off, the off-the-job minimum, English
-- and maths) is worked out from the portfolio when it is asked for.
create table gateway_agreements (
    tenant_id     uuid not null references tenants (id),
    enrolment_id  uuid not null,
    party         text not null check (party in ('learner', 'employer')),
    agreed_by     uuid not null,
    agreed_at     timestamptz not null default now(),
    primary key (tenant_id, enrolment_id, party),
    foreign key (tenant_id, enrolment_id) references enrolments (tenant_id, id) on delete cascade,
    foreign key (tenant_id, agreed_by) references users (tenant_id, id)
);
select enable_tenant_isolation('gateway_agreements');
