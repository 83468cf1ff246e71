-- Progress reviews by rule era (issue 20, item 7): from August 2025 an apprentice's reviews
-- may follow an alternative frequency agreed with the employer, recorded here in weeks.
alter table enrolments
    add column agreed_review_weeks smallint
        check (agreed_review_weeks is null or agreed_review_weeks between 1 and 52);
comment on column enrolments.agreed_review_weeks is
    'Progress reviews at least this often, as agreed with the employer; null follows the funding rule of the start date';
