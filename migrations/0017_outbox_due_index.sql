-- The outbox sender claims the oldest due email with
--   where tenant_id = $1 and status = 'pending' and next_attempt_at <= now()
--   order by next_attempt_at, id limit 1 for update skip locked
-- The index it had, (tenant_id, status, next_attempt_at), left the `id` tie-break to a
-- sort of every pending email with the same next_attempt_at, which a night's emails, queued
-- in one transaction, all share: with 10,000 queued, each claim sorted them all (about
-- 90 ms). This index gives the order itself, so a claim reads the first unlocked row; it
-- holds pending emails only, so sent ones do not make it grow.
drop index email_outbox_due_idx;
create index email_outbox_due_idx on email_outbox (tenant_id, next_attempt_at, id)
    where status = 'pending';
-- Admins list the outbox by state, newest first.
create index email_outbox_status_idx on email_outbox (tenant_id, status, created_at, id);
