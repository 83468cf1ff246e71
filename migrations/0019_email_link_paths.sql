-- E-mails now carry the path of the page their link opens (`link_path`, built from the
-- web application's route table when the e-mail is queued), instead of templates putting
-- paths together from ids. E-mails still waiting to be sent were queued with the old
-- context: give them the paths the route table builds for the same things, so they render
-- and their links land on real pages. Row-level security is lifted for this transaction
-- only, as in 0010, so that a migrating owner that is not a superuser sees the rows.

alter table email_outbox no force row level security;

update email_outbox
set data = data || jsonb_build_object('link_path', '/app/evidence/' || (data ->> 'evidence_id'))
where status = 'pending' and template in ('evidence_returned', 'evidence_resubmitted')
  and data ? 'evidence_id' and not data ? 'link_path';

update email_outbox
set data = data || jsonb_build_object('link_path', '/app/messages/' || (data ->> 'message_id'))
where status = 'pending' and template = 'message_received'
  and data ? 'message_id' and not data ? 'link_path';

update email_outbox
set data = data || jsonb_build_object(
    'link_path', '/app/enrolments/' || (data ->> 'enrolment_id') || '/progress-map')
where status = 'pending' and template = 'off_track_learner'
  and data ? 'enrolment_id' and not data ? 'link_path';

-- The list of a learner's overdue actions; each action's own line keeps no link (the ids
-- were not recorded), so it gets the same list page.
update email_outbox
set data = data
    || jsonb_build_object('link_path', '/app/actions/overdue')
    || jsonb_build_object('actions', (
           select coalesce(jsonb_agg(a || jsonb_build_object('link_path', '/app/actions/overdue')), '[]'::jsonb)
           from jsonb_array_elements(data -> 'actions') a))
where status = 'pending' and template = 'overdue_actions_learner'
  and not data ? 'link_path';

-- Digests linked to `/caseload/{list}`; the pages are `/app/caseload/{list}`.
update email_outbox
set data = data
    || jsonb_build_object('link_path', '/app' || (data ->> 'link_path'))
    || jsonb_build_object('settings_path', '/app/profile#notifications')
where status = 'pending' and template = 'digest'
  and not data ? 'settings_path';

alter table email_outbox force row level security;
