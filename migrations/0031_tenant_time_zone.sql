-- The provider's time zone, for turning instants (sessions, sign-offs, uploads) into the
-- dates people and the official return see (issue 20, item 9): the tenant's `timezone`
-- setting, else Europe/London, the default. A plain SQL expression, so the planner inlines
-- it and evaluates it once per statement for a constant tenant id.
create function tenant_tz(tenant uuid) returns text
    language sql stable
    as $$
        select coalesce((select ts.settings->>'timezone' from tenant_settings ts
                         where ts.tenant_id = tenant), 'Europe/London')
    $$;
