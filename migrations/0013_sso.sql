-- Per-tenant single sign-on with OpenID Connect: each organisation's identity provider
-- settings, the pending sign-ins (state, nonce and PKCE verifier kept server-side, single
-- use, expiring in minutes) and the link from a provider's (issuer, subject) to a person.

-- One row per tenant that has SSO configured. The client secret is write-only in the API:
-- it is read only to call the provider's token endpoint.
create table sso_settings (
    tenant_id              uuid not null references tenants (id),
    issuer                 text not null check (length(issuer) between 1 and 500),
    client_id              text not null check (length(client_id) between 1 and 500),
    client_secret          text not null check (length(client_secret) between 1 and 1000),
    scopes                 text[] not null default '{openid,email,profile}',
    email_claim            text not null default 'email' check (length(email_claim) between 1 and 100),
    role_claim             text check (length(role_claim) between 1 and 100),
    -- Claim value -> array of Folio role names, e.g. {"folio-assessors": ["assessor"]}.
    role_mapping           jsonb not null default '{}'::jsonb check (jsonb_typeof(role_mapping) = 'object'),
    provisioning           text not null default 'invite_only' check (provisioning in ('invite_only', 'create')),
    allowed_email_domains  text[] not null default '{}',
    password_sign_in       boolean not null default true,
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now(),
    primary key (tenant_id)
);
select enable_tenant_isolation('sso_settings');

-- A sign-in started at /auth/{tenant}/sso/login and not yet finished. Only a SHA-256 of
-- the state is kept (it travels in URLs); the nonce and PKCE verifier are needed in clear
-- at the callback. used_at makes each state single use and tells a replay from a stranger.
create table sso_login_states (
    tenant_id      uuid not null references tenants (id),
    id             uuid not null,
    state_hash     bytea not null,
    nonce          text not null,
    pkce_verifier  text not null,
    issuer         text not null,
    created_at     timestamptz not null default now(),
    expires_at     timestamptz not null,
    used_at        timestamptz,
    primary key (tenant_id, id),
    constraint sso_login_states_state_key unique (tenant_id, state_hash)
);
create index sso_login_states_expiry_idx on sso_login_states (tenant_id, expires_at);
select enable_tenant_isolation('sso_login_states');

-- Who a provider's subject is in Folio: matched by (tenant, issuer, subject).
create table user_identities (
    tenant_id      uuid not null,
    id             uuid not null,
    user_id        uuid not null,
    issuer         text not null check (length(issuer) between 1 and 500),
    subject        text not null check (length(subject) between 1 and 255),
    created_at     timestamptz not null default now(),
    last_login_at  timestamptz,
    primary key (tenant_id, id),
    constraint user_identities_subject_key unique (tenant_id, issuer, subject),
    foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create index user_identities_user_idx on user_identities (tenant_id, user_id);
select enable_tenant_isolation('user_identities');
