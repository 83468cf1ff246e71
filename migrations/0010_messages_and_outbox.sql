-- Messages a learner writes to their assessor or IQA, internal comments staff keep on a
-- learner, and what the transactional email outbox (0004) needs for its sender.

-- The outbox: each row is written in the same transaction as the event that causes it, so
-- an email is queued if and only if that event commits; `(tenant_id, dedup_key)` is unique,
-- so a retried request or job never queues the same email twice. The sender (the workers)
-- drains it: in a tenant transaction it takes due rows,
--     where tenant_id = $1 and status = 'pending' and next_attempt_at <= now()
--     order by next_attempt_at for update skip locked limit N,
-- and for each either marks it `sent` (with sent_at) or counts the attempt, keeps the error
-- and sets next_attempt_at later (backoff), marking it `failed` (with failed_at) once it
-- has failed too often. The address is captured when the email is queued: it is where the
-- email was meant to go when the event happened, whatever the person's address is later.
alter table email_outbox
    add column to_address text check (length(to_address) <= 254),
    add column status text not null default 'pending'
        constraint email_outbox_status_name_check check (status in ('pending', 'sent', 'failed')),
    add column next_attempt_at timestamptz not null default now();

-- Rows queued before this migration: their address is the person's current one. Row-level
-- security is forced on both tables, which would hide every row from a migrating owner
-- that is not a superuser; it is lifted for this transaction only (the ALTERs hold their
-- tables' exclusive locks until commit, so no other session sees it lifted).
alter table email_outbox no force row level security;
alter table users no force row level security;
update email_outbox o set to_address = u.email
    from users u
    where u.tenant_id = o.tenant_id and u.id = o.to_user_id;
update email_outbox set status = case
        when sent_at is not null then 'sent'
        when failed_at is not null then 'failed'
        else 'pending'
    end;
alter table users force row level security;
alter table email_outbox force row level security;

alter table email_outbox alter column to_address set not null;
alter table email_outbox
    add constraint email_outbox_status_check check (
        (status = 'sent') = (sent_at is not null) and (status = 'failed') = (failed_at is not null)),
    add constraint email_outbox_attempts_check check (attempts >= 0),
    add constraint email_outbox_last_error_check check (length(last_error) <= 2000);

-- The drainer's index: a tenant's due rows in order (and its failed ones, for admins).
drop index email_outbox_pending_idx;
create index email_outbox_due_idx on email_outbox (tenant_id, status, next_attempt_at);

-- Messages: a learner writes to the assessor or the IQA of one of their enrolments. The
-- recipient is the person in that role when the message was sent, kept here, so a later
-- change of assessor does not move the message to someone else.
create table messages (
    tenant_id       uuid not null references tenants (id),
    id              uuid not null,
    enrolment_id    uuid not null,
    sender_id       uuid not null,
    recipient_id    uuid not null,
    -- Which of the enrolment's people it was written to.
    recipient_role  text not null check (recipient_role in ('assessor', 'iqa')),
    subject         text not null check (length(subject) between 1 and 200),
    body            text not null check (length(body) between 1 and 10000),
    created_at      timestamptz not null default now(),
    -- When the recipient first opened it.
    read_at         timestamptz,
    primary key (tenant_id, id),
    constraint messages_enrolment_fkey foreign key (tenant_id, enrolment_id)
        references enrolments (tenant_id, id),
    constraint messages_sender_fkey foreign key (tenant_id, sender_id)
        references users (tenant_id, id),
    constraint messages_recipient_fkey foreign key (tenant_id, recipient_id)
        references users (tenant_id, id)
);
-- Ids are UUID v7 (time-ordered): each list is newest first by id.
create index messages_recipient_idx on messages (tenant_id, recipient_id, id);
create index messages_sender_idx on messages (tenant_id, sender_id, id);
create index messages_enrolment_idx on messages (tenant_id, enrolment_id, id);
select enable_tenant_isolation('messages');

-- Internal comments on a learner's enrolment: staff only, never shown to the learner.
create table internal_comments (
    tenant_id     uuid not null references tenants (id),
    id            uuid not null,
    enrolment_id  uuid not null,
    author_id     uuid not null,
    body          text not null check (length(body) between 1 and 5000),
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint internal_comments_enrolment_fkey foreign key (tenant_id, enrolment_id)
        references enrolments (tenant_id, id),
    constraint internal_comments_author_fkey foreign key (tenant_id, author_id)
        references users (tenant_id, id)
);
create index internal_comments_enrolment_idx on internal_comments (tenant_id, enrolment_id, id);
select enable_tenant_isolation('internal_comments');
