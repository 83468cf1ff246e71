-- Curriculum: course (programme, e.g. an apprenticeship standard) -> components (aims) ->
-- units (mandatory or optional, optional ones possibly grouped) -> criteria (code + text).
-- Every table is tenant-owned and isolated like those of 0001.

create table courses (
    tenant_id                  uuid not null references tenants (id),
    id                         uuid not null,
    code                       text not null check (length(code) between 1 and 50),
    title                      text not null check (length(title) between 1 and 200),
    description                text check (length(description) <= 5000),
    -- Off-the-job minimum for starts from 1 Aug 2025, set per apprenticeship standard.
    off_the_job_minimum_hours  integer check (off_the_job_minimum_hours >= 0),
    created_at                 timestamptz not null default now(),
    updated_at                 timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint courses_code_key unique (tenant_id, code)
);
select enable_tenant_isolation('courses');

create table components (
    tenant_id   uuid not null,
    id          uuid not null,
    course_id   uuid not null,
    title       text not null check (length(title) between 1 and 200),
    position    integer not null default 0,
    created_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint components_course_fkey foreign key (tenant_id, course_id) references courses (tenant_id, id) on delete cascade,
    constraint components_title_key unique (tenant_id, course_id, title)
);
select enable_tenant_isolation('components');

create table units (
    tenant_id       uuid not null,
    id              uuid not null,
    component_id    uuid not null,
    code            text not null check (length(code) between 1 and 50),
    title           text not null check (length(title) between 1 and 300),
    optional        boolean not null default false,
    -- Optional units offered as "choose from this group"; null for ungrouped ones.
    optional_group  text check (length(optional_group) <= 100),
    position        integer not null default 0,
    created_at      timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint units_component_fkey foreign key (tenant_id, component_id) references components (tenant_id, id) on delete cascade,
    constraint units_code_key unique (tenant_id, component_id, code),
    check (optional or optional_group is null)
);
select enable_tenant_isolation('units');

create table criteria (
    tenant_id   uuid not null,
    id          uuid not null,
    unit_id     uuid not null,
    code        text not null check (length(code) between 1 and 50),
    text        text not null check (length(text) between 1 and 2000),
    position    integer not null default 0,
    created_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint criteria_unit_fkey foreign key (tenant_id, unit_id) references units (tenant_id, id) on delete cascade,
    constraint criteria_code_key unique (tenant_id, unit_id, code)
);
select enable_tenant_isolation('criteria');
