-- Funding rules (issue 20, item 4): from August 2025 the off-the-job minimum is the one
-- published for the apprenticeship standard, in force at the learner's start date, less
-- recognised prior learning (RPL).

-- Published data, the same for every provider: a platform table the operator imports
-- (`folio standards import`); the application role may only read it.
create table apprenticeship_standards (
    code               text not null check (code ~ '^ST[0-9]{4}$'),
    version            text not null check (version ~ '^[0-9]{1,2}\.[0-9]{1,2}$'),
    title              text not null check (length(title) between 1 and 300),
    otj_minimum_hours  integer not null check (otj_minimum_hours between 1 and 10000),
    -- The first start date the value applies to (a transition list is several rows).
    applies_from       date not null,
    imported_at        timestamptz not null default now(),
    primary key (code, version, applies_from)
);
revoke insert, update, delete on apprenticeship_standards from folio_app;
grant select on apprenticeship_standards to folio_app;

-- A course is an apprenticeship standard: its code and version.
alter table courses
    add column standard_code text check (standard_code ~ '^ST[0-9]{4}$'),
    add column standard_version text check (standard_version ~ '^[0-9]{1,2}\.[0-9]{1,2}$'),
    add constraint courses_standard_needs_code check (standard_version is null or standard_code is not null);

-- Recognised prior learning, recorded at enrolment and fixed with the plan: the
-- off-the-job hours and the weeks of duration it took off, and why.
alter table enrolments
    add column rpl_otj_hours numeric(7, 2) not null default 0 check (rpl_otj_hours >= 0 and rpl_otj_hours <= 10000),
    add column rpl_duration_weeks integer not null default 0 check (rpl_duration_weeks between 0 and 260),
    add column rpl_reason text check (length(rpl_reason) <= 1000),
    add constraint enrolments_rpl_reason_given
        check ((rpl_otj_hours = 0 and rpl_duration_weeks = 0) or length(btrim(rpl_reason)) > 0);

create function enrolments_keep_rpl_fixed() returns trigger
    language plpgsql
    as $$
begin
    if new.rpl_otj_hours <> old.rpl_otj_hours or new.rpl_duration_weeks <> old.rpl_duration_weeks
       or new.rpl_reason is distinct from old.rpl_reason then
        raise exception 'recognised prior learning is fixed with the plan at the start'
            using errcode = 'check_violation', constraint = 'enrolments_rpl_fixed';
    end if;
    return new;
end
$$;
create trigger enrolments_keep_rpl_fixed before update on enrolments
    for each row execute function enrolments_keep_rpl_fixed();
