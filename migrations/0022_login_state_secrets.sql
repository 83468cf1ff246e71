-- A pending single sign-on keeps its nonce and PKCE verifier only until it is used: the
-- callback takes them and clears them (the row stays, without them, until it expires,
-- so that a replay is told from a stranger), and expired rows are deleted. Those kept in
-- clear by earlier versions for a day after use are cleared now. A sign-in also keeps the
-- local path to go on to once signed in (a deep link followed before signing in). Row-level security is
-- lifted for this transaction only, as in 0010, so that a migrating owner that is not a
-- superuser sees the rows.

alter table sso_login_states no force row level security;

alter table sso_login_states
    alter column nonce drop not null,
    alter column pkce_verifier drop not null;

delete from sso_login_states where expires_at < now();

update sso_login_states set nonce = null, pkce_verifier = null where used_at is not null;

alter table sso_login_states force row level security;

alter table sso_login_states
    add constraint sso_login_states_used_cleared
    check (used_at is null or (nonce is null and pkce_verifier is null));

alter table sso_login_states
    add column return_to text check (length(return_to) between 1 and 2000);
