-- In-app notifications (issue 22): the bell lists what a person's e-mails about their own
-- work said (returned evidence, messages, going off track, overdue actions, digests),
-- newest first, each read or not. The e-mail outbox already holds each of them, addressed
-- to the person, with the page its link opens; a notification is read once opened (or
-- once the page it links to is).
alter table email_outbox add column read_at timestamptz;
create index email_outbox_recipient_idx on email_outbox (tenant_id, to_user_id, created_at desc);

-- What was e-mailed before the bell existed was read in the inbox it went to: it starts
-- read, so nobody's bell opens at "99+". Row-level security is lifted for this
-- transaction only, as in 0010 and 0019, so that a migrating owner that is not a
-- superuser sees the rows.
alter table email_outbox no force row level security;
update email_outbox set read_at = coalesce(sent_at, created_at) where read_at is null;
alter table email_outbox force row level security;
