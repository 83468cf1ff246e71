-- A mapping joins evidence to a criterion for one enrolment: the evidence must belong to
-- that same enrolment. The application checks this; the schema now makes any other row
-- impossible too.
alter table evidence add constraint evidence_enrolment_id_key unique (tenant_id, enrolment_id, id);
alter table criterion_mappings
    add constraint criterion_mappings_evidence_enrolment_fkey
    foreign key (tenant_id, enrolment_id, evidence_id) references evidence (tenant_id, enrolment_id, id);
