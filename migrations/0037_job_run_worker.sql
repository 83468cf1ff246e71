-- The worker process an attempt of a run is running in (issue 21). When a run's job is
-- delivered again while a live process (one that reported within three heartbeats, in
-- worker_processes) is still running it, the second delivery is skipped instead of running
-- beside it; a run whose process died is started again at once.
alter table job_runs add column worker text check (length(worker) <= 200);
grant select on worker_processes to folio_app;
