-- partitioned_table__hash_partitions_create: new HASH-partitioned table with 4 partitions
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
