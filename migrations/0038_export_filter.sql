-- A progress map exported as it is shown on the page (issue 22, item 8): with the page's
-- "Non-completed criteria only" filter ticked, the PDF lists only the criteria not yet
-- signed off. Only a progress map is filtered.
alter table exports add column incomplete_only boolean not null default false;
alter table exports add constraint exports_incomplete_only_check
    check (not incomplete_only or kind = 'progress_map');
