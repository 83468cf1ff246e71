-- Conversations (issue 22, item 5): a message can answer another, and the assessor or IQA
-- can write to the learner. A thread is named by its first message's id; every message
-- of it is between the same two people. The recipient's role now includes the learner.
-- Row-level security is lifted for this transaction only, as in 0010 and 0019, so that a
-- migrating owner that is not a superuser sees the rows it fills in.
alter table messages no force row level security;
alter table email_outbox no force row level security;

alter table messages add column thread_id uuid;
alter table messages add column reply_to uuid;
update messages set thread_id = id where thread_id is null;
alter table messages alter column thread_id set not null;
alter table messages add constraint messages_thread_fkey foreign key (tenant_id, thread_id)
    references messages (tenant_id, id);
-- An answer is in the thread of the message it answers.
alter table messages add constraint messages_id_thread_key unique (tenant_id, id, thread_id);
alter table messages add constraint messages_reply_to_fkey
    foreign key (tenant_id, reply_to, thread_id) references messages (tenant_id, id, thread_id);
alter table messages add constraint messages_thread_check
    check ((reply_to is null) = (thread_id = id));
alter table messages drop constraint messages_recipient_role_check;
alter table messages add constraint messages_recipient_role_check
    check (recipient_role in ('assessor', 'iqa', 'learner'));
create index messages_thread_idx on messages (tenant_id, thread_id, id);

-- Message e-mails now name their sender (the learner or their assessor or IQA) and say
-- whether they answer: those still waiting to be sent were all a learner's new message.
update email_outbox
   set data = data || jsonb_build_object('sender_name', data -> 'learner_name', 'reply', false)
 where status = 'pending' and template = 'message_received' and not data ? 'sender_name';

alter table email_outbox force row level security;
alter table messages force row level security;
