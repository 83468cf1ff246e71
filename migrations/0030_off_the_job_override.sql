-- Off the job follows the activity type (DOMAIN.md's table); staff may record an exception
-- with a reason, which is kept with the entry and shown beside it (issue 20, item 6).
alter table time_log_entries
    add column off_the_job_reason text
        check (off_the_job_reason is null
               or (length(btrim(off_the_job_reason)) > 0 and length(off_the_job_reason) <= 500));
comment on column time_log_entries.off_the_job_reason is
    'Why staff recorded this entry on or off the job against its activity type; null when it follows the type';
