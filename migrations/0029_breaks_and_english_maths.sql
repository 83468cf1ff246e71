-- Funding rules (issue 20): a break in learning as the rules describe it, and English and
-- maths components, whose hours never count towards the off-the-job minimum.

-- A break has a reason and an agreed expected return; on return the revised end date
-- moves by its length, and the dates before and after are kept here as its history.
-- Breaks recorded before this migration have no reason or expected return.
alter table enrolment_breaks
    add column reason text
        check (reason in ('illness', 'parental_leave', 'personal', 'employer', 'financial', 'other')),
    add column expected_return_on date,
    add column revised_end_before date,
    add column revised_end_after date,
    add constraint enrolment_breaks_expected_return_check
        check (expected_return_on is null or expected_return_on > started_on);
create index enrolment_breaks_enrolment_idx on enrolment_breaks (tenant_id, enrolment_id, started_on);

alter table components
    add column english_maths boolean not null default false;
comment on column components.english_maths is
    'English or maths (e.g. Functional Skills): time logged against it never counts as off-the-job training';
