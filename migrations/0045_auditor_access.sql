-- Auditor access (issue 23): an admin grants an external auditor read-only access for a
-- range of the organisation's days, to every learner or to a chosen sample of enrolments.
-- It ends by itself: every request works out afresh which grants are in force, so an
-- auditor whose grants have all ended (or been withdrawn) holds no auditor role at all,
-- and a sample is checked where each enrolment is read.
create table auditor_grants (
    tenant_id     uuid not null references tenants (id),
    id            uuid not null,
    auditor_id    uuid not null,
    purpose       text not null check (length(purpose) between 1 and 200),
    -- The organisation's days, as granted and shown ...
    starts_on     date not null,
    ends_on       date not null,
    -- ... and the instants they begin and end in its time zone at the time of granting
    -- (midnight before the first day, midnight after the last): what is enforced.
    valid_from    timestamptz not null,
    valid_until   timestamptz not null,
    all_learners  boolean not null,
    granted_by    uuid not null,
    granted_at    timestamptz not null default now(),
    withdrawn_at  timestamptz,
    withdrawn_by  uuid,
    primary key (tenant_id, id),
    foreign key (tenant_id, auditor_id) references users (tenant_id, id),
    foreign key (tenant_id, granted_by) references users (tenant_id, id),
    foreign key (tenant_id, withdrawn_by) references users (tenant_id, id),
    check (starts_on <= ends_on),
    check (valid_from < valid_until),
    check ((withdrawn_at is null) = (withdrawn_by is null))
);
create index auditor_grants_by_auditor on auditor_grants (tenant_id, auditor_id, valid_until);
select enable_tenant_isolation('auditor_grants');

-- The enrolments of a sample grant (none for a grant to every learner).
create table auditor_grant_enrolments (
    tenant_id     uuid not null references tenants (id),
    grant_id      uuid not null,
    enrolment_id  uuid not null,
    primary key (tenant_id, grant_id, enrolment_id),
    foreign key (tenant_id, grant_id) references auditor_grants (tenant_id, id) on delete cascade,
    foreign key (tenant_id, enrolment_id) references enrolments (tenant_id, id) on delete cascade
);
create index auditor_grant_enrolments_by_enrolment on auditor_grant_enrolments (tenant_id, enrolment_id);
select enable_tenant_isolation('auditor_grant_enrolments');

-- The grants in force now: the one statement of "in force", read by authentication and
-- by the enrolment visibility test. security_invoker: read under the caller's
-- row-level security, like the table.
create view auditor_grants_in_force with (security_invoker = true) as
    select * from auditor_grants
    where withdrawn_at is null and valid_from <= now() and now() < valid_until;
revoke insert, update, delete on auditor_grants_in_force from folio_app;

-- The roles that count: every role but the auditor's, which counts only while one of the
-- person's grants is in force. Authentication reads roles from here, never from
-- user_roles, so an auditor's access ends by itself on the day after the last.
create view user_roles_in_force with (security_invoker = true) as
    select r.* from user_roles r
    where r.role <> 'auditor'
       or exists (select 1 from auditor_grants_in_force g
                  where g.tenant_id = r.tenant_id and g.auditor_id = r.user_id);
revoke insert, update, delete on user_roles_in_force from folio_app;

-- How far each auditor's grants in force reach: `organisation` when one of them is to
-- every learner, else `sample` (checked enrolment by enrolment where it is read).
create view auditor_reach with (security_invoker = true) as
    select tenant_id, auditor_id,
           case when bool_or(all_learners) then 'organisation' else 'sample' end as reach
    from auditor_grants_in_force
    group by tenant_id, auditor_id;
revoke insert, update, delete on auditor_reach from folio_app;
