-- Two-step sign-in for password accounts: a TOTP (RFC 6238) secret per person, sealed
-- with FOLIO_SECRET_KEY (never stored in clear), confirmed once the person has typed a
-- code from their app; single-use recovery codes, kept as SHA-256; and the short-lived
-- challenge between a right password and the code.
create table two_factor (
    tenant_id      uuid not null references tenants (id),
    user_id        uuid not null,
    secret_sealed  text not null check (length(secret_sealed) <= 500),
    confirmed_at   timestamptz,
    -- The last 30-second step a code was accepted for: a code is good once.
    last_step      bigint not null default 0,
    created_at     timestamptz not null default now(),
    primary key (tenant_id, user_id),
    constraint two_factor_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id)
);
select enable_tenant_isolation('two_factor');

create table two_factor_recovery_codes (
    tenant_id  uuid not null references tenants (id),
    user_id    uuid not null,
    code_hash  bytea not null check (length(code_hash) = 32),
    used_at    timestamptz,
    primary key (tenant_id, user_id, code_hash),
    constraint two_factor_recovery_codes_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id)
);
select enable_tenant_isolation('two_factor_recovery_codes');

create table two_factor_challenges (
    tenant_id   uuid not null references tenants (id),
    id          uuid not null,
    user_id     uuid not null,
    token_hash  bytea not null check (length(token_hash) = 32),
    expires_at  timestamptz not null,
    attempts    integer not null default 0 check (attempts >= 0),
    primary key (tenant_id, id),
    constraint two_factor_challenges_token_key unique (tenant_id, token_hash),
    constraint two_factor_challenges_user_fkey foreign key (tenant_id, user_id) references users (tenant_id, id)
);
select enable_tenant_isolation('two_factor_challenges');
