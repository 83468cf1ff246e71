-- Files on the learning plan: attached to a session (the review form, planning material)
-- or to an action (the learner's work towards it). The file itself is in the object store
-- under `storage_key`, built from ids only. Each row names its enrolment, and the session
-- or action is referenced together with that enrolment, so a file can never hang off
-- another learner's session or action: who may see it is decided by the enrolment.

-- Lets a file name its action together with its enrolment (as learning_sessions already
-- allows for sessions).
alter table actions
    add constraint actions_enrolment_id_key unique (tenant_id, enrolment_id, id);

create table learning_plan_files (
    tenant_id     uuid not null references tenants (id),
    id            uuid not null,
    enrolment_id  uuid not null,
    -- Exactly one of the two is set.
    session_id    uuid,
    action_id     uuid,
    storage_key   text not null,
    file_name     text not null check (length(file_name) between 1 and 255),
    content_type  text not null check (length(content_type) <= 255),
    size_bytes    bigint not null check (size_bytes > 0),
    sha256        bytea not null check (length(sha256) = 32),
    uploaded_by   uuid not null,
    uploaded_at   timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint learning_plan_files_parent_check check (num_nonnulls(session_id, action_id) = 1),
    constraint learning_plan_files_storage_key_key unique (tenant_id, storage_key),
    constraint learning_plan_files_enrolment_fkey foreign key (tenant_id, enrolment_id)
        references enrolments (tenant_id, id),
    -- Restrict, not cascade: a cascade would leave the stored files behind.
    constraint learning_plan_files_session_fkey foreign key (tenant_id, enrolment_id, session_id)
        references learning_sessions (tenant_id, enrolment_id, id) on delete restrict,
    constraint learning_plan_files_action_fkey foreign key (tenant_id, enrolment_id, action_id)
        references actions (tenant_id, enrolment_id, id) on delete restrict,
    constraint learning_plan_files_uploaded_by_fkey foreign key (tenant_id, uploaded_by)
        references users (tenant_id, id)
);
create index learning_plan_files_session_idx on learning_plan_files (tenant_id, session_id, uploaded_at)
    where session_id is not null;
create index learning_plan_files_action_idx on learning_plan_files (tenant_id, action_id, uploaded_at)
    where action_id is not null;
create index learning_plan_files_enrolment_idx on learning_plan_files (tenant_id, enrolment_id);
select enable_tenant_isolation('learning_plan_files');
