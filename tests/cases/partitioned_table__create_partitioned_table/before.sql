-- partitioned_table__create_partitioned_table: brand-new partitioned table with PK, index and partitions
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.keep (id integer);
