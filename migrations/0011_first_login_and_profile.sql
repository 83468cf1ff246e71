-- First sign-in and the profile: the disclaimer a learner must accept before anything else
-- works, and each person's profile (photo, CV fields, job description file).

-- The organisation's disclaimer, as versions: the current one is the highest version; a
-- version without text turns the disclaimer off. Acceptances name the version accepted, so
-- a changed text must be accepted again, and what each person agreed to stays on record.
create table disclaimer_versions (
    tenant_id   uuid not null references tenants (id),
    version     integer not null check (version > 0),
    body        text check (length(body) between 1 and 20000),
    set_by      uuid not null,
    set_at      timestamptz not null default now(),
    primary key (tenant_id, version),
    constraint disclaimer_versions_set_by_fkey foreign key (tenant_id, set_by)
        references users (tenant_id, id)
);
select enable_tenant_isolation('disclaimer_versions');

create table disclaimer_acceptances (
    tenant_id    uuid not null references tenants (id),
    user_id      uuid not null,
    version      integer not null,
    accepted_at  timestamptz not null default now(),
    -- The address the acceptance came from, as the API saw it.
    client_ip    text check (length(client_ip) <= 64),
    primary key (tenant_id, user_id, version),
    constraint disclaimer_acceptances_user_fkey foreign key (tenant_id, user_id)
        references users (tenant_id, id),
    constraint disclaimer_acceptances_version_fkey foreign key (tenant_id, version)
        references disclaimer_versions (tenant_id, version)
);
select enable_tenant_isolation('disclaimer_acceptances');

-- One profile per person, created on first write. Files live in object storage under
-- keys of ids only; a file's columns are all set or all null.
create table profiles (
    tenant_id                     uuid not null references tenants (id),
    user_id                       uuid not null,
    phone                         text check (length(phone) <= 50),
    personal_statement            text check (length(personal_statement) <= 5000),
    employment_history            text check (length(employment_history) <= 10000),
    qualifications                text check (length(qualifications) <= 10000),
    skills                        text check (length(skills) <= 5000),
    interests                     text check (length(interests) <= 2000),
    photo_key                     text,
    photo_content_type            text,
    photo_size_bytes              bigint check (photo_size_bytes > 0),
    photo_updated_at              timestamptz,
    job_description_key           text,
    job_description_file_name     text check (length(job_description_file_name) between 1 and 255),
    job_description_content_type  text,
    job_description_size_bytes    bigint check (job_description_size_bytes > 0),
    job_description_sha256        bytea check (length(job_description_sha256) = 32),
    job_description_uploaded_by   uuid,
    job_description_uploaded_at   timestamptz,
    updated_at                    timestamptz not null default now(),
    primary key (tenant_id, user_id),
    constraint profiles_user_fkey foreign key (tenant_id, user_id)
        references users (tenant_id, id),
    constraint profiles_job_description_uploaded_by_fkey foreign key (tenant_id, job_description_uploaded_by)
        references users (tenant_id, id),
    constraint profiles_photo_check check (num_nonnulls(photo_key, photo_content_type,
        photo_size_bytes, photo_updated_at) in (0, 4)),
    constraint profiles_job_description_check check (num_nonnulls(job_description_key,
        job_description_file_name, job_description_content_type, job_description_size_bytes,
        job_description_sha256, job_description_uploaded_by, job_description_uploaded_at) in (0, 7))
);
select enable_tenant_isolation('profiles');
