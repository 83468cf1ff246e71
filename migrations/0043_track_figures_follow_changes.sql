-- One track figure everywhere (issue 22, item 7): the latest figures in `enrolment_tracks`
-- follow every change to what they are computed from, in the transaction that makes it,
-- instead of waiting for the night. The triggers below mark the rows a change affects
-- with the changing transaction's id; before that transaction commits, the application
-- recomputes the rows it marked (folio_db::tracks::refresh_marked) with the same domain
-- functions as the nightly run, for the day the row's figures are of. Rows marked by
-- work that does not refresh (a bulk load by hand) keep their figures until the night,
-- which rewrites every row and clears the mark.
--
-- The history stays one row a night, and "newly off track" stays a nightly judgement:
-- `off_track_since` is the first day of the current off-track run as the nightly run
-- found it. A change during the day that takes a learner off track leaves it empty (the
-- night then sets it, and the off-track email goes out); one that brings them back on
-- track empties it.

alter table enrolment_tracks
    add column figures_stale_in xid8,
    drop constraint enrolment_tracks_off_track_since_check,
    add constraint enrolment_tracks_off_track_since_check
        check (off_track_since is null or track_status = 'off_track');

comment on column enrolment_tracks.figures_stale_in is
    'The transaction that changed what these figures are computed from, until it recomputes them; null when they are current.';

create index enrolment_tracks_stale_idx on enrolment_tracks (tenant_id, figures_stale_in)
    where figures_stale_in is not null;

-- Marks the enrolments named in the statement's transition table `changed`
-- (tenant_id, enrolment_id).
create function enrolment_figures_changed() returns trigger
    language plpgsql
    as $$
begin
    update enrolment_tracks t set figures_stale_in = pg_current_xact_id()
    from (select distinct tenant_id, enrolment_id from changed) c
    where t.tenant_id = c.tenant_id and t.enrolment_id = c.enrolment_id
      and t.figures_stale_in is distinct from pg_current_xact_id();
    return null;
end
$$;

do $$
declare
    t text;
begin
    foreach t in array array['criterion_sign_offs', 'criterion_mappings', 'enrolment_breaks',
                             'enrolment_optional_units'] loop
        execute format('create trigger %1$s_figures_inserted after insert on %1$I
                            referencing new table as changed for each statement
                            execute function enrolment_figures_changed()', t);
        execute format('create trigger %1$s_figures_updated after update on %1$I
                            referencing new table as changed for each statement
                            execute function enrolment_figures_changed()', t);
        execute format('create trigger %1$s_figures_deleted after delete on %1$I
                            referencing old table as changed for each statement
                            execute function enrolment_figures_changed()', t);
    end loop;
end
$$;

-- An enrolment's own dates and status: the timeline the figures are computed on.
create function enrolment_timeline_changed() returns trigger
    language plpgsql
    as $$
begin
    update enrolment_tracks set figures_stale_in = pg_current_xact_id()
    where tenant_id = new.tenant_id and enrolment_id = new.id;
    return null;
end
$$;
create trigger enrolments_figures_updated after update on enrolments
    for each row
    when (old.start_date is distinct from new.start_date
          or old.planned_end_date is distinct from new.planned_end_date
          or old.status is distinct from new.status
          or old.completed_on is distinct from new.completed_on
          or old.withdrawn_on is distinct from new.withdrawn_on
          or old.course_id is distinct from new.course_id)
    execute function enrolment_timeline_changed();

-- A course's criteria, units or components: every enrolment on the course. Each level
-- finds its course through the levels above it; when a cascade from above has already
-- removed those, the level above's own trigger marks the course.
create function criteria_figures_changed() returns trigger
    language plpgsql
    as $$
begin
    update enrolment_tracks t set figures_stale_in = pg_current_xact_id()
    from enrolments e, components c, units u
    where e.tenant_id = t.tenant_id and e.id = t.enrolment_id
      and c.tenant_id = e.tenant_id and c.course_id = e.course_id
      and u.tenant_id = c.tenant_id and u.component_id = c.id
      and (u.tenant_id, u.id) in (select tenant_id, unit_id from changed)
      and t.figures_stale_in is distinct from pg_current_xact_id();
    return null;
end
$$;

create function units_figures_changed() returns trigger
    language plpgsql
    as $$
begin
    update enrolment_tracks t set figures_stale_in = pg_current_xact_id()
    from enrolments e, components c
    where e.tenant_id = t.tenant_id and e.id = t.enrolment_id
      and c.tenant_id = e.tenant_id and c.course_id = e.course_id
      and (c.tenant_id, c.id) in (select tenant_id, component_id from changed)
      and t.figures_stale_in is distinct from pg_current_xact_id();
    return null;
end
$$;

create function components_figures_changed() returns trigger
    language plpgsql
    as $$
begin
    update enrolment_tracks t set figures_stale_in = pg_current_xact_id()
    from enrolments e
    where e.tenant_id = t.tenant_id and e.id = t.enrolment_id
      and (e.tenant_id, e.course_id) in (select tenant_id, course_id from changed)
      and t.figures_stale_in is distinct from pg_current_xact_id();
    return null;
end
$$;

do $$
declare
    t text;
begin
    foreach t in array array['criteria', 'units', 'components'] loop
        execute format('create trigger %1$s_figures_inserted after insert on %1$I
                            referencing new table as changed for each statement
                            execute function %1$s_figures_changed()', t);
        execute format('create trigger %1$s_figures_updated after update on %1$I
                            referencing new table as changed for each statement
                            execute function %1$s_figures_changed()', t);
        execute format('create trigger %1$s_figures_deleted after delete on %1$I
                            referencing old table as changed for each statement
                            execute function %1$s_figures_changed()', t);
    end loop;
end
$$;

-- The tenant's track rule or time zone: every enrolment of the tenant.
create function settings_figures_changed() returns trigger
    language plpgsql
    as $$
begin
    update enrolment_tracks set figures_stale_in = pg_current_xact_id()
    where tenant_id = new.tenant_id;
    return null;
end
$$;
create trigger tenant_settings_figures_updated after update on tenant_settings
    for each row
    when (old.settings -> 'track' is distinct from new.settings -> 'track'
          or old.settings -> 'timezone' is distinct from new.settings -> 'timezone')
    execute function settings_figures_changed();
create trigger tenant_settings_figures_inserted after insert on tenant_settings
    for each row
    when (new.settings ? 'track' or new.settings ? 'timezone')
    execute function settings_figures_changed();
