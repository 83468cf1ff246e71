-- How many pages a PDF version has, remembered the first time the evidence viewer counts
-- them (a version's file never changes), so each later view runs the drawer only for the
-- page it shows. Null: not counted yet, or not a PDF.
alter table evidence_versions add column pdf_pages integer check (pdf_pages >= 1);
