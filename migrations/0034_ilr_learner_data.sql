-- Learner data for the official return (issue 20, item 11): the learner's unique learner
-- number and the provider's learner reference on the enrolment, and the withdrawal reason
-- as the ILR's code. (The provider's UKPRN is a tenant setting.)
alter table enrolments
    add column uln text check (uln ~ '^[0-9]{10}$'),
    add column learner_ref text check (length(learner_ref) between 1 and 12 and learner_ref ~ '^[A-Za-z0-9 ]+$'),
    add column withdrawal_reason_code smallint
        check (withdrawal_reason_code in (2, 3, 7, 29, 40, 41, 43, 44, 46, 47, 97, 98));
