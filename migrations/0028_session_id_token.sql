-- The ID token a single sign-on session started with, sealed with FOLIO_SECRET_KEY: sent
-- back to the provider as `id_token_hint` when the person signs out (RP-initiated logout),
-- so the provider knows whose session to end. Deleted with the session.
alter table sessions
    add column sso_id_token_sealed text check (length(sso_id_token_sealed) <= 20000);
