-- partitioned_table__hash_partitions_create: new HASH-partitioned table with 4 partitions
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
CREATE TABLE public.events (id bigint NOT NULL, payload jsonb) PARTITION BY HASH (id);
CREATE TABLE public.events_p0 PARTITION OF public.events FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE public.events_p1 PARTITION OF public.events FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE public.events_p2 PARTITION OF public.events FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE public.events_p3 PARTITION OF public.events FOR VALUES WITH (MODULUS 4, REMAINDER 3);
