-- Idempotent: a second run against the same cluster changes nothing.
set client_min_messages = warning;  -- no "already exists, skipping" notices
create table if not exists items (
  id    integer primary key,
  name  text not null,
  price numeric(8, 2) not null
);
insert into items (id, name, price) values
  (1, 'teapot', 24.50),
  (2, 'kettle', 39.00),
  (3, 'mug', 7.25)
on conflict (id) do nothing;
