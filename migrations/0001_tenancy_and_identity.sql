-- Tenancy and identity: the platform's tenants, and inside each tenant its people, their
-- roles, employer organisations, sign-in sessions, API tokens and the audit log.
--
-- Isolation is PostgreSQL's job, not the application's: every tenant-owned table has
-- tenant_id in its primary key and foreign keys, and row-level security (enabled and
-- forced) limits every query to the tenant named by the transaction-local setting
-- app.tenant_id. The application works as folio_app, which can bypass none of it.

-- The application role. Roles are cluster-wide, so several databases (tests, the demo)
-- share it; creating it twice at once is harmless.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'folio_app') then
        begin
            create role folio_app nologin nosuperuser nobypassrls nocreatedb nocreaterole noinherit;
        exception when duplicate_object or unique_violation then null;
        end;
    end if;
end
$$;

-- The login role (the owner that runs migrations) must be able to `set role folio_app`.
do $$
begin
    if not pg_has_role(current_user, 'folio_app', 'member') then
        execute format('grant folio_app to %I', current_user);
    end if;
end
$$;

grant usage on schema public to folio_app;
alter default privileges in schema public grant select, insert, update, delete on tables to folio_app;
alter default privileges in schema public grant usage, select on sequences to folio_app;

-- The tenant of the current transaction; null (so no rows match) when none is set.
create function current_tenant() returns uuid
    language sql stable parallel safe
    as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- Puts a tenant-owned table under row-level security: enabled, forced (so the owner is
-- bound too) and limited to current_tenant() for reads and writes. Every migration that
-- creates a tenant table calls this; a catalog test fails if one forgets.
create function enable_tenant_isolation(tbl regclass) returns void
    language plpgsql
    as $$
begin
    execute format('alter table %s enable row level security', tbl);
    execute format('alter table %s force row level security', tbl);
    execute format(
        'create policy tenant_isolation on %s using (tenant_id = current_tenant()) '
        'with check (tenant_id = current_tenant())', tbl);
end
$$;
revoke execute on function enable_tenant_isolation(regclass) from public;

-- Platform table: the operator creates tenants. The application role may read only the
-- tenant of its current transaction.
create table tenants (
    id          uuid primary key,
    slug        text not null
                constraint tenants_slug_key unique
                constraint tenants_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) between 2 and 63),
    name        text not null check (length(name) between 1 and 200),
    settings    jsonb not null default '{}'::jsonb check (jsonb_typeof(settings) = 'object'),
    status      text not null default 'active' check (status in ('active', 'suspended')),
    created_at  timestamptz not null default now()
);
alter table tenants enable row level security;
create policy tenant_self on tenants for select to folio_app using (id = current_tenant());
revoke insert, update, delete on tenants from folio_app;

create table employers (
    tenant_id      uuid not null references tenants (id),
    id             uuid not null,
    name           text not null check (length(name) between 1 and 200),
    contact_name   text check (length(contact_name) <= 200),
    contact_email  text check (length(contact_email) <= 254),
    phone          text check (length(phone) <= 50),
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    primary key (tenant_id, id)
);
create index employers_name_idx on employers (tenant_id, name, id);
select enable_tenant_isolation('employers');

create table users (
    tenant_id       uuid not null references tenants (id),
    id              uuid not null,
    email           text not null check (email = lower(email) and length(email) <= 254),
    name            text not null check (length(name) between 1 and 200),
    password_hash   text,
    status          text not null default 'active' check (status in ('active', 'deactivated')),
    employer_id     uuid,
    last_login_at   timestamptz,
    deactivated_at  timestamptz,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    primary key (tenant_id, id),
    constraint users_email_key unique (tenant_id, email),
    constraint users_employer_fkey foreign key (tenant_id, employer_id) references employers (tenant_id, id)
);
create index users_name_idx on users (tenant_id, name, id);
create index users_employer_idx on users (tenant_id, employer_id) where employer_id is not null;
select enable_tenant_isolation('users');

create table user_roles (
    tenant_id   uuid not null,
    user_id     uuid not null,
    role        text not null check (role in ('admin', 'assessor', 'iqa', 'employer', 'learner', 'auditor')),
    granted_at  timestamptz not null default now(),
    primary key (tenant_id, user_id, role),
    foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create index user_roles_role_idx on user_roles (tenant_id, role, user_id);
select enable_tenant_isolation('user_roles');

-- Browser and API-client sign-in sessions. Only a SHA-256 of the token is kept: the token
-- itself is a 256-bit random secret, so a fast hash is enough and a leaked table is useless.
create table sessions (
    tenant_id   uuid not null,
    id          uuid not null,
    user_id     uuid not null,
    token_hash  bytea not null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    primary key (tenant_id, id),
    constraint sessions_token_hash_key unique (tenant_id, token_hash),
    foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create index sessions_user_idx on sessions (tenant_id, user_id);
select enable_tenant_isolation('sessions');

-- Personal API tokens for integrations: shown once, stored hashed, revocable.
create table api_tokens (
    tenant_id     uuid not null,
    id            uuid not null,
    user_id       uuid not null,
    name          text not null check (length(name) between 1 and 100),
    token_hash    bytea not null,
    created_at    timestamptz not null default now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    primary key (tenant_id, id),
    constraint api_tokens_token_hash_key unique (tenant_id, token_hash),
    foreign key (tenant_id, user_id) references users (tenant_id, id) on delete cascade
);
create index api_tokens_user_idx on api_tokens (tenant_id, user_id, id);
select enable_tenant_isolation('api_tokens');

-- Failed sign-ins per address typed (existing account or not: see domain::login_throttle).
create table login_throttle (
    tenant_id          uuid not null references tenants (id),
    email              text not null check (length(email) <= 254),
    failures           integer not null check (failures >= 0),
    window_started_at  timestamptz not null,
    locked_until       timestamptz,
    primary key (tenant_id, email)
);
select enable_tenant_isolation('login_throttle');

-- Who did what, when. Append-only for the application.
create table audit_log (
    tenant_id      uuid not null references tenants (id),
    id             uuid not null,
    at             timestamptz not null default now(),
    actor_kind     text not null check (actor_kind in ('user', 'operator', 'system')),
    actor_user_id  uuid,
    action         text not null check (length(action) <= 100),
    entity_type    text not null check (length(entity_type) <= 50),
    entity_id      uuid,
    details        jsonb not null default '{}'::jsonb,
    primary key (tenant_id, id),
    foreign key (tenant_id, actor_user_id) references users (tenant_id, id),
    check ((actor_kind = 'user') = (actor_user_id is not null))
);
create index audit_log_entity_idx on audit_log (tenant_id, entity_id, id) where entity_id is not null;
select enable_tenant_isolation('audit_log');
revoke update, delete on audit_log from folio_app;
