-- Failed sign-ins are counted per (address typed, client), so a stranger's wrong guesses
-- lock only the stranger out; the row with the empty address counts one client's
-- failures for any address (password spraying). `client` is the client's IPv4 address or
-- IPv6 /64 network (see folio_app::client_address), empty when unknown.
alter table login_throttle
    add column client text not null default '' check (length(client) <= 64);
alter table login_throttle drop constraint login_throttle_pkey;
alter table login_throttle add primary key (tenant_id, email, client);
