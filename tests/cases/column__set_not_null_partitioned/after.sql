-- column__set_not_null_partitioned: a column of a partitioned table becomes NOT NULL with a new default
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.m (id integer, v integer NOT NULL DEFAULT 0) PARTITION BY RANGE (id);
CREATE TABLE public.m1 PARTITION OF public.m FOR VALUES FROM (0) TO (100);
