-- Course resources ("resources" and "files from course" in the learner's portfolio):
-- files the provider adds to a course for everyone on it. The file itself is in the
-- object store under `storage_key`, built from ids only.

create table course_resources (
    tenant_id     uuid not null,
    id            uuid not null,
    course_id     uuid not null,
    title         text not null check (length(title) between 1 and 200),
    description   text check (length(description) <= 5000),
    storage_key   text not null,
    file_name     text not null check (length(file_name) between 1 and 255),
    content_type  text not null check (length(content_type) <= 255),
    size_bytes    bigint not null check (size_bytes > 0),
    sha256        bytea not null check (length(sha256) = 32),
    uploaded_by   uuid not null,
    uploaded_at   timestamptz not null default now(),
    primary key (tenant_id, id),
    -- Restrict, not cascade: a cascade would leave the stored files behind, so a course
    -- with resources is refused (409) until they are deleted one by one.
    constraint course_resources_course_fkey foreign key (tenant_id, course_id)
        references courses (tenant_id, id) on delete restrict,
    constraint course_resources_uploaded_by_fkey foreign key (tenant_id, uploaded_by)
        references users (tenant_id, id)
);
create index course_resources_course_idx on course_resources (tenant_id, course_id);
select enable_tenant_isolation('course_resources');
