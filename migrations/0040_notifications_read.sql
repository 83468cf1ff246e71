-- In-app notifications (issue 22): the bell lists what a person's e-mails about their own
-- work said (returned evidence, messages, going off track, overdue actions, digests),
-- newest first, each read or not. The e-mail outbox already holds each of them, addressed
-- to the person, with the page its link opens; a notification is read once opened.
alter table email_outbox add column read_at timestamptz;
create index email_outbox_recipient_idx on email_outbox (tenant_id, to_user_id, created_at desc);
