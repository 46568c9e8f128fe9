-- quoting__quoted_identity_and_partition: mixed-case partitioned table gains a quoted partition and a parent index
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public."Metrics" ("Id" bigint NOT NULL, "Day" date NOT NULL) PARTITION BY RANGE ("Day");
CREATE TABLE public."Metrics 2023" PARTITION OF public."Metrics" FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE public."Metrics 2024" PARTITION OF public."Metrics" FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX "Metrics By Id" ON public."Metrics" ("Id");
