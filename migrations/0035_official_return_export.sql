-- The official return's rows as CSV, beside the workbook (issue 20, item 11).
alter table exports drop constraint exports_kind_check;
alter table exports add constraint exports_kind_check
    check (kind in ('compliance_workbook', 'time_log', 'progress_map', 'official_return'));
