-- Who started each pending single sign-on (the client's address or IPv6 /64, as the
-- sign-in throttle counts it), so one client cannot fill the table: `/sso/login` stores a
-- row per call.
alter table sso_login_states
    add column client text not null default '' check (length(client) <= 64);
create index sso_login_states_client_idx on sso_login_states (tenant_id, client, expires_at);
