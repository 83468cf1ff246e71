-- Single sign-on links accounts by the provider's identity, not by e-mail address.
--
-- * One account holds at most one subject per issuer. Accounts that a provider linked
--   twice (the e-mail matching of earlier versions linked every new subject asserting the
--   address) keep their first link, the one made before any takeover; the later ones are
--   removed, so those subjects are strangers again.
-- * A tenant may choose to trust its provider's e-mail addresses when the provider does
--   not say they are verified (Entra ID omits `email_verified`); off by default.
-- * A session records how it was started (`password` or `sso`, and through which
--   issuer), so that a setting that only a single sign-on admin may change can tell.
-- * A sign-in started from a signed-in session to link that account to the provider
--   names the account it links (`link_user_id`).
-- Row-level security is lifted for this transaction only, as in 0010, so that a migrating
-- owner that is not a superuser sees the rows.

alter table user_identities no force row level security;

delete from user_identities later
using user_identities earlier
where later.tenant_id = earlier.tenant_id
  and later.user_id = earlier.user_id
  and later.issuer = earlier.issuer
  and (later.created_at, later.id) > (earlier.created_at, earlier.id);

alter table user_identities force row level security;

alter table user_identities
    add constraint user_identities_user_issuer_key unique (tenant_id, user_id, issuer);

alter table sso_settings
    add column trust_unverified_emails boolean not null default false;

alter table sessions
    add column method text not null default 'password' check (method in ('password', 'sso')),
    add column sso_issuer text check (length(sso_issuer) between 1 and 500),
    add constraint sessions_sso_issuer_matches_method check ((method = 'sso') = (sso_issuer is not null));

alter table sso_login_states
    add column link_user_id uuid,
    add foreign key (tenant_id, link_user_id) references users (tenant_id, id) on delete cascade;
