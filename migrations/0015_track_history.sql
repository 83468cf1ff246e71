-- Track status kept by the nightly off-track recalculation: the latest figures of every
-- enrolment, and one row of figures per enrolment per day so a trend can be shown. The
-- figures are computed by the domain's progress functions (the same the API shows), so
-- these tables are a record of them, never a second formula.

create table enrolment_tracks (
    tenant_id             uuid not null references tenants (id),
    enrolment_id          uuid not null,
    -- The tenant-local day the figures are for.
    computed_on           date not null,
    -- The learner's criteria (mandatory units and chosen optional units) by state.
    criteria              integer not null check (criteria >= 0),
    -- Mapped but not signed off.
    mapped                integer not null check (mapped >= 0),
    signed_off            integer not null check (signed_off >= 0),
    mapped_percent        double precision not null,
    signed_off_percent    double precision not null,
    -- Against the planned end date; over 100 once past it.
    elapsed_percent       double precision not null,
    past_end              boolean not null,
    track_status          text not null
                          check (track_status in ('off_track', 'on_track', 'ahead', 'not_applicable')),
    projected_completion  date,
    -- The first day of the current unbroken off-track run: kept while the learner stays
    -- off track, null otherwise. What "newly off track" (and its email) is decided by.
    off_track_since       date,
    updated_at            timestamptz not null default now(),
    primary key (tenant_id, enrolment_id),
    constraint enrolment_tracks_off_track_since_check
        check ((track_status = 'off_track') = (off_track_since is not null)),
    constraint enrolment_tracks_enrolment_fkey foreign key (tenant_id, enrolment_id)
        references enrolments (tenant_id, id) on delete cascade
);
-- Dashboards count and list the off-track learners of a tenant.
create index enrolment_tracks_status_idx on enrolment_tracks (tenant_id, track_status);
select enable_tenant_isolation('enrolment_tracks');

create table enrolment_track_history (
    tenant_id             uuid not null references tenants (id),
    enrolment_id          uuid not null,
    computed_on           date not null,
    criteria              integer not null check (criteria >= 0),
    mapped                integer not null check (mapped >= 0),
    signed_off            integer not null check (signed_off >= 0),
    mapped_percent        double precision not null,
    signed_off_percent    double precision not null,
    elapsed_percent       double precision not null,
    past_end              boolean not null,
    track_status          text not null
                          check (track_status in ('off_track', 'on_track', 'ahead', 'not_applicable')),
    projected_completion  date,
    -- Keyed by day, so recalculating a day again replaces that day's row.
    primary key (tenant_id, enrolment_id, computed_on),
    constraint enrolment_track_history_enrolment_fkey foreign key (tenant_id, enrolment_id)
        references enrolments (tenant_id, id) on delete cascade
);
-- One learner's trend reads the primary key; this one serves a tenant's trend (how many
-- were off track each night) and pruning old days.
create index enrolment_track_history_day_idx on enrolment_track_history (tenant_id, computed_on, track_status);
select enable_tenant_isolation('enrolment_track_history');
