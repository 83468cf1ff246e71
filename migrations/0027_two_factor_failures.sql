-- Wrong two-step codes are counted per person, across challenges and turning it off:
-- ten in a row lock the second step for fifteen minutes, so knowing the password does not
-- buy unlimited guesses at the code.
alter table two_factor
    add column failed_codes integer not null default 0 check (failed_codes >= 0),
    add column locked_until timestamptz;
