-- Single-use links that let a person set their password: the invitation a new person is
-- sent, and the reset link "Forgot password?" sends. Only the SHA-256 of the token is kept
-- (the e-mail carries the token, sealed in the outbox until it is sent).
create table password_links (
    tenant_id   uuid not null references tenants (id),
    id          uuid not null,
    user_id     uuid not null,
    purpose     text not null check (purpose in ('invitation', 'reset')),
    token_hash  bytea not null check (length(token_hash) = 32),
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    primary key (tenant_id, id),
    constraint password_links_token_key unique (tenant_id, token_hash),
    constraint password_links_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id)
);
create index password_links_user_idx on password_links (tenant_id, user_id, created_at);
select enable_tenant_isolation('password_links');
