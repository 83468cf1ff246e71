-- One track figure everywhere (issue 22, item 7): the latest figures in `enrolment_tracks`
-- follow every change to what they are computed from, in the transaction that makes it,
-- instead of waiting for the night. The triggers below mark the rows a change affects
-- with the changing transaction's id; before that transaction commits, the application
-- recomputes the rows it marked (folio_db::tracks::refresh_marked) with the same domain
-- functions as the nightly run, for the day the row's figures are of. Rows marked by
-- work that does not refresh (a bulk load by hand) keep their figures until the night,
-- which rewrites every row and clears the mark.
--
-- Every trigger locks the rows it marks in enrolment order before marking them, the
-- order the night locks them in, so that a change to a whole course and the night's
-- batches wait for each other rather than deadlock.
--
-- The history stays one row a night, and "newly off track" stays a nightly judgement:
-- `off_track_since` is the first night of the current off-track spell as the nights found
-- it, which only the night writes. A change during the day leaves it alone, so it is
-- meaningful only while `track_status` is `off_track`, and empty for a learner the night
-- has not yet found off track.

alter table enrolment_tracks
    add column figures_stale_in xid8,
    drop constraint enrolment_tracks_off_track_since_check;

comment on column enrolment_tracks.figures_stale_in is
    'The transaction that changed what these figures are computed from, until it recomputes them; null when they are current.';
comment on column enrolment_tracks.off_track_since is
    'The first night of the current off-track spell, written only by the nightly run; meaningful only while track_status is off_track.';

create index enrolment_tracks_stale_idx on enrolment_tracks (tenant_id, figures_stale_in)
    where figures_stale_in is not null;

-- Marks the figures of the enrolments `(tenant_id, enrolment_id)` as changed by this
-- transaction, locking them in enrolment order first.
create function mark_enrolment_figures(tenants uuid[], enrolments uuid[]) returns void
    language plpgsql
    as $$
begin
    perform 1 from enrolment_tracks t
    where (t.tenant_id, t.enrolment_id) in (select * from unnest(tenants, enrolments))
      and t.figures_stale_in is distinct from pg_current_xact_id()
    order by t.tenant_id, t.enrolment_id
    for update;
    update enrolment_tracks t set figures_stale_in = pg_current_xact_id()
    where (t.tenant_id, t.enrolment_id) in (select * from unnest(tenants, enrolments))
      and t.figures_stale_in is distinct from pg_current_xact_id();
end
$$;

-- Marks every enrolment on the courses `(tenant_id, course_id)`.
create function mark_course_figures(tenants uuid[], courses uuid[]) returns void
    language plpgsql
    as $$
declare
    found_tenants uuid[];
    found_enrolments uuid[];
begin
    select array_agg(e.tenant_id), array_agg(e.id) into found_tenants, found_enrolments
    from enrolments e
    where (e.tenant_id, e.course_id) in (select * from unnest(tenants, courses));
    if found_enrolments is not null then
        perform mark_enrolment_figures(found_tenants, found_enrolments);
    end if;
end
$$;

-- Sign-offs, mappings, breaks and optional units: the enrolments in the statement's
-- transition table `changed`.
create function enrolment_figures_changed() returns trigger
    language plpgsql
    as $$
declare
    tenants uuid[];
    enrolments uuid[];
begin
    select array_agg(tenant_id), array_agg(enrolment_id) into tenants, enrolments
    from (select distinct tenant_id, enrolment_id from changed) c;
    if enrolments is not null then
        perform mark_enrolment_figures(tenants, enrolments);
    end if;
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

-- An enrolment's own dates, status or course: the timeline and criteria the figures are
-- computed on.
create function enrolment_timeline_changed() returns trigger
    language plpgsql
    as $$
begin
    perform mark_enrolment_figures(array[new.tenant_id], array[new.id]);
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

-- A new enrolment of a tenant the night has already worked out gets figures at once, of
-- the night's day, so that it counts in the tiles from the start: a placeholder row,
-- marked, which the commit's refresh fills in.
create function enrolment_figures_started() returns trigger
    language plpgsql
    as $$
begin
    insert into enrolment_tracks (tenant_id, enrolment_id, computed_on, criteria, mapped,
                                  signed_off, mapped_percent, signed_off_percent,
                                  elapsed_percent, past_end, track_status, figures_stale_in)
    select n.tenant_id, n.id, night.computed_on, 0, 0, 0, 0, 0, 0, false, 'not_applicable',
           pg_current_xact_id()
    from changed n
    join (select t.tenant_id, max(t.computed_on) as computed_on
          from enrolment_tracks t
          where t.tenant_id in (select distinct tenant_id from changed)
          group by t.tenant_id) night on night.tenant_id = n.tenant_id
    on conflict (tenant_id, enrolment_id) do nothing;
    return null;
end
$$;
create trigger enrolments_figures_inserted after insert on enrolments
    referencing new table as changed for each statement
    execute function enrolment_figures_started();

-- A course's criteria, units or components: every enrolment on the course. Each level
-- finds its course through the levels above it; when a cascade from above has already
-- removed those, the level above's own trigger marks the course. An update marks only
-- when what the figures count changed (the unit a criterion is in; a unit's component or
-- whether it is optional; a component's course), before and after: a criterion moved to
-- another unit changes both units' courses. Not for a title, text or position.

-- Marks every enrolment on the courses of the units `(tenant_id, unit_id)`.
create function mark_unit_figures(tenants uuid[], unit_ids uuid[]) returns void
    language plpgsql
    as $$
declare
    course_tenants uuid[];
    courses uuid[];
begin
    select array_agg(c.tenant_id), array_agg(c.course_id) into course_tenants, courses
    from (select distinct c.tenant_id, c.course_id
          from units u
          join components c on c.tenant_id = u.tenant_id and c.id = u.component_id
          where (u.tenant_id, u.id) in (select * from unnest(tenants, unit_ids))) c;
    if courses is not null then
        perform mark_course_figures(course_tenants, courses);
    end if;
end
$$;

-- Marks every enrolment on the courses of the components `(tenant_id, component_id)`.
create function mark_component_figures(tenants uuid[], component_ids uuid[]) returns void
    language plpgsql
    as $$
declare
    course_tenants uuid[];
    courses uuid[];
begin
    select array_agg(c.tenant_id), array_agg(c.course_id) into course_tenants, courses
    from (select distinct c.tenant_id, c.course_id
          from components c
          where (c.tenant_id, c.id) in (select * from unnest(tenants, component_ids))) c;
    if courses is not null then
        perform mark_course_figures(course_tenants, courses);
    end if;
end
$$;

-- Each trigger below gathers the keys of the level above from its transition tables
-- (`changed`, and for an update `previous`), then marks through them.
create function criteria_figures_changed() returns trigger
    language plpgsql
    as $$
declare
    tenants uuid[];
    keys uuid[];
begin
    if tg_op = 'UPDATE' then
        select array_agg(k.tenant_id), array_agg(k.unit_id) into tenants, keys
        from (select n.tenant_id, n.unit_id, o.unit_id as old_unit_id
              from changed n join previous o on o.tenant_id = n.tenant_id and o.id = n.id
              where o.unit_id is distinct from n.unit_id) m,
             lateral (values (m.tenant_id, m.unit_id), (m.tenant_id, m.old_unit_id))
                 as k(tenant_id, unit_id);
    else
        select array_agg(tenant_id), array_agg(unit_id) into tenants, keys from changed;
    end if;
    if keys is not null then
        perform mark_unit_figures(tenants, keys);
    end if;
    return null;
end
$$;

create function units_figures_changed() returns trigger
    language plpgsql
    as $$
declare
    tenants uuid[];
    keys uuid[];
begin
    if tg_op = 'UPDATE' then
        select array_agg(k.tenant_id), array_agg(k.component_id) into tenants, keys
        from (select n.tenant_id, n.component_id, o.component_id as old_component_id
              from changed n join previous o on o.tenant_id = n.tenant_id and o.id = n.id
              where o.component_id is distinct from n.component_id
                 or o.optional is distinct from n.optional) m,
             lateral (values (m.tenant_id, m.component_id), (m.tenant_id, m.old_component_id))
                 as k(tenant_id, component_id);
    else
        select array_agg(tenant_id), array_agg(component_id) into tenants, keys from changed;
    end if;
    if keys is not null then
        perform mark_component_figures(tenants, keys);
    end if;
    return null;
end
$$;

create function components_figures_changed() returns trigger
    language plpgsql
    as $$
declare
    tenants uuid[];
    keys uuid[];
begin
    if tg_op = 'UPDATE' then
        select array_agg(k.tenant_id), array_agg(k.course_id) into tenants, keys
        from (select n.tenant_id, n.course_id, o.course_id as old_course_id
              from changed n join previous o on o.tenant_id = n.tenant_id and o.id = n.id
              where o.course_id is distinct from n.course_id) m,
             lateral (values (m.tenant_id, m.course_id), (m.tenant_id, m.old_course_id))
                 as k(tenant_id, course_id);
    else
        select array_agg(tenant_id), array_agg(course_id) into tenants, keys from changed;
    end if;
    if keys is not null then
        perform mark_course_figures(tenants, keys);
    end if;
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
                            referencing old table as previous new table as changed for each statement
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
declare
    enrolments uuid[];
begin
    select array_agg(enrolment_id) into enrolments
    from enrolment_tracks where tenant_id = new.tenant_id;
    if enrolments is not null then
        perform mark_enrolment_figures(array_fill(new.tenant_id, array[cardinality(enrolments)]),
                                       enrolments);
    end if;
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
