-- partitioned_table__default_partition_add: a DEFAULT partition is added to a list-partitioned table with an index
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.ev (id integer, kind text) PARTITION BY LIST (kind);
CREATE TABLE public.ev_a PARTITION OF public.ev FOR VALUES IN ('a');
CREATE TABLE public.ev_rest PARTITION OF public.ev DEFAULT;
CREATE INDEX ev_id ON public.ev (id);
