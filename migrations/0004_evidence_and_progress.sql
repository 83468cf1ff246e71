-- Evidence library, its versions and review cycle; criteria mapping and sign-off; the
-- transactional email outbox; tenant-editable settings.

-- Settings a provider's admins change (track-status rule, upload limit, …). Absent keys
-- take the defaults written in the domain crate.
create table tenant_settings (
    tenant_id   uuid not null references tenants (id),
    settings    jsonb not null default '{}'::jsonb check (jsonb_typeof(settings) = 'object'),
    updated_at  timestamptz not null default now(),
    primary key (tenant_id)
);
select enable_tenant_isolation('tenant_settings');

create table evidence (
    tenant_id          uuid not null,
    id                 uuid not null,
    enrolment_id       uuid not null,
    component_id       uuid not null,
    title              text not null check (length(title) between 1 and 200),
    description        text check (length(description) <= 5000),
    -- The learner's declaration and e-signature: refused without them.
    declared_own_work  boolean not null check (declared_own_work),
    signature_name     text not null check (length(signature_name) between 1 and 200),
    signed_at          timestamptz not null,
    -- submitted -> returned (points for improvement) -> resubmitted (a new version) ...
    status             text not null default 'submitted' check (status in ('submitted', 'returned', 'resubmitted')),
    uploaded_by        uuid not null,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint evidence_enrolment_fkey foreign key (tenant_id, enrolment_id) references enrolments (tenant_id, id),
    constraint evidence_component_fkey foreign key (tenant_id, component_id) references components (tenant_id, id),
    foreign key (tenant_id, uploaded_by) references users (tenant_id, id)
);
create index evidence_enrolment_idx on evidence (tenant_id, enrolment_id, id);
select enable_tenant_isolation('evidence');

-- Every file ever submitted for a piece of evidence; none is replaced or deleted.
create table evidence_versions (
    tenant_id     uuid not null,
    id            uuid not null,
    evidence_id   uuid not null,
    version       integer not null check (version >= 1),
    storage_key   text not null,
    file_name     text not null check (length(file_name) between 1 and 255),
    content_type  text not null check (length(content_type) <= 255),
    size_bytes    bigint not null check (size_bytes > 0),
    sha256        bytea not null check (length(sha256) = 32),
    comment       text check (length(comment) <= 5000),
    uploaded_by   uuid not null,
    uploaded_at   timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint evidence_versions_version_key unique (tenant_id, evidence_id, version),
    foreign key (tenant_id, evidence_id) references evidence (tenant_id, id),
    foreign key (tenant_id, uploaded_by) references users (tenant_id, id)
);
-- Finds identical files in other portfolios of the same tenant.
create index evidence_versions_sha256_idx on evidence_versions (tenant_id, sha256);
select enable_tenant_isolation('evidence_versions');

-- An assessor's return of evidence with points for improvement.
create table evidence_returns (
    tenant_id    uuid not null,
    id           uuid not null,
    evidence_id  uuid not null,
    version      integer not null,
    points       text not null check (length(points) between 1 and 5000),
    returned_by  uuid not null,
    returned_at  timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, evidence_id) references evidence (tenant_id, id),
    foreign key (tenant_id, returned_by) references users (tenant_id, id)
);
create index evidence_returns_evidence_idx on evidence_returns (tenant_id, evidence_id);
select enable_tenant_isolation('evidence_returns');

-- Evidence mapped to a criterion of the learner's units. A criterion of an enrolment is
-- `mapped` (orange) while it has at least one mapping and no sign-off.
create table criterion_mappings (
    tenant_id     uuid not null,
    enrolment_id  uuid not null,
    criterion_id  uuid not null,
    evidence_id   uuid not null,
    mapped_by     uuid not null,
    mapped_at     timestamptz not null default now(),
    primary key (tenant_id, enrolment_id, criterion_id, evidence_id),
    foreign key (tenant_id, enrolment_id) references enrolments (tenant_id, id),
    foreign key (tenant_id, criterion_id) references criteria (tenant_id, id),
    foreign key (tenant_id, evidence_id) references evidence (tenant_id, id),
    foreign key (tenant_id, mapped_by) references users (tenant_id, id)
);
create index criterion_mappings_evidence_idx on criterion_mappings (tenant_id, evidence_id);
select enable_tenant_isolation('criterion_mappings');

-- An assessor's sign-off of a criterion for an enrolment: `signed_off` (green).
create table criterion_sign_offs (
    tenant_id       uuid not null,
    enrolment_id    uuid not null,
    criterion_id    uuid not null,
    signed_off_by   uuid not null,
    signed_off_at   timestamptz not null default now(),
    primary key (tenant_id, enrolment_id, criterion_id),
    foreign key (tenant_id, enrolment_id) references enrolments (tenant_id, id),
    foreign key (tenant_id, criterion_id) references criteria (tenant_id, id),
    foreign key (tenant_id, signed_off_by) references users (tenant_id, id)
);
select enable_tenant_isolation('criterion_sign_offs');

-- Emails to send, written in the same transaction as the event that causes them; the
-- workers deliver them. The dedup key makes every notification happen at most once.
create table email_outbox (
    tenant_id     uuid not null,
    id            uuid not null,
    dedup_key     text not null check (length(dedup_key) <= 300),
    to_user_id    uuid not null,
    template      text not null check (length(template) <= 100),
    data          jsonb not null default '{}'::jsonb,
    created_at    timestamptz not null default now(),
    sent_at       timestamptz,
    attempts      integer not null default 0,
    last_error    text,
    failed_at     timestamptz,
    primary key (tenant_id, id),
    constraint email_outbox_dedup_key unique (tenant_id, dedup_key),
    foreign key (tenant_id, to_user_id) references users (tenant_id, id)
);
create index email_outbox_pending_idx on email_outbox (tenant_id, created_at) where sent_at is null and failed_at is null;
select enable_tenant_isolation('email_outbox');
