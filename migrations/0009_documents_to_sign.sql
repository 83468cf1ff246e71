-- Documents to sign ("New Docs to Sign"): staff send a file to one or more learners, naming
-- the roles that must sign it (learner, employer, assessor). Sending to several learners
-- stores the file once (document_files) and creates one document per enrolment, each with
-- its own required signers and signatures.
--
-- Integrity the schema holds on its own:
-- - a signature is for a role its document requires (foreign key to document_signers), and
--   each role signs once (unique), even when two requests race;
-- - files, required signers and signatures are written once: the application role may not
--   change or remove them;
-- - documents are withdrawn, never deleted, and a fully signed document cannot be changed
--   at all (trigger, constraint name documents_fully_signed).

create table document_files (
    tenant_id     uuid not null references tenants (id),
    id            uuid not null,
    storage_key   text not null check (length(storage_key) between 1 and 500),
    file_name     text not null check (length(file_name) between 1 and 255),
    content_type  text not null check (length(content_type) between 1 and 255),
    size_bytes    bigint not null check (size_bytes > 0),
    sha256        bytea not null check (length(sha256) = 32),
    uploaded_by   uuid not null,
    uploaded_at   timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint document_files_storage_key_key unique (tenant_id, storage_key),
    constraint document_files_uploaded_by_fkey foreign key (tenant_id, uploaded_by)
        references users (tenant_id, id)
);
select enable_tenant_isolation('document_files');

create table documents (
    tenant_id     uuid not null references tenants (id),
    id            uuid not null,
    enrolment_id  uuid not null,
    file_id       uuid not null,
    title         text not null check (length(title) between 1 and 200),
    message       text check (length(message) between 1 and 5000),
    sent_by       uuid not null,
    sent_at       timestamptz not null default now(),
    withdrawn_at  timestamptz,
    withdrawn_by  uuid,
    primary key (tenant_id, id),
    constraint documents_withdrawn_check check ((withdrawn_at is null) = (withdrawn_by is null)),
    constraint documents_enrolment_fkey foreign key (tenant_id, enrolment_id)
        references enrolments (tenant_id, id),
    constraint documents_file_fkey foreign key (tenant_id, file_id)
        references document_files (tenant_id, id),
    constraint documents_sent_by_fkey foreign key (tenant_id, sent_by)
        references users (tenant_id, id),
    constraint documents_withdrawn_by_fkey foreign key (tenant_id, withdrawn_by)
        references users (tenant_id, id)
);
create index documents_enrolment_idx on documents (tenant_id, enrolment_id, sent_at);
create index documents_file_idx on documents (tenant_id, file_id);
select enable_tenant_isolation('documents');

-- The roles a document needs signatures from (at least one; the API sends none without).
create table document_signers (
    tenant_id    uuid not null,
    document_id  uuid not null,
    role         text not null check (role in ('learner', 'employer', 'assessor')),
    primary key (tenant_id, document_id, role),
    constraint document_signers_document_fkey foreign key (tenant_id, document_id)
        references documents (tenant_id, id)
);
select enable_tenant_isolation('document_signers');

create table document_signatures (
    tenant_id    uuid not null,
    id           uuid not null,
    document_id  uuid not null,
    role         text not null check (role in ('learner', 'employer', 'assessor')),
    signed_by    uuid not null,
    -- The full name the signer typed, as typed (trimmed).
    typed_name   text not null check (length(typed_name) between 1 and 200 and typed_name = btrim(typed_name)),
    signed_at    timestamptz not null default now(),
    -- The client's address as the server saw it; null when it was not an IP connection.
    ip_address   inet,
    primary key (tenant_id, id),
    constraint document_signatures_role_key unique (tenant_id, document_id, role),
    constraint document_signatures_signer_fkey foreign key (tenant_id, document_id, role)
        references document_signers (tenant_id, document_id, role),
    constraint document_signatures_signed_by_fkey foreign key (tenant_id, signed_by)
        references users (tenant_id, id)
);
create index document_signatures_signed_by_idx on document_signatures (tenant_id, signed_by);
select enable_tenant_isolation('document_signatures');

revoke update, delete on document_files from folio_app;
revoke update, delete on document_signers from folio_app;
revoke update, delete on document_signatures from folio_app;
revoke delete on documents from folio_app;

-- A document every required role has signed is final: no withdrawal, no change.
create function documents_fixed_once_fully_signed() returns trigger
    language plpgsql
    as $$
begin
    if exists (select 1 from document_signers s
               where s.tenant_id = old.tenant_id and s.document_id = old.id)
       and not exists (
           select 1 from document_signers s
           where s.tenant_id = old.tenant_id and s.document_id = old.id
             and not exists (select 1 from document_signatures g
                             where g.tenant_id = s.tenant_id and g.document_id = s.document_id
                               and g.role = s.role))
    then
        raise exception 'document % is fully signed and cannot be changed', old.id
            using errcode = 'check_violation', constraint = 'documents_fully_signed';
    end if;
    return new;
end
$$;

create trigger documents_fixed_once_fully_signed before update on documents
    for each row execute function documents_fixed_once_fully_signed();
