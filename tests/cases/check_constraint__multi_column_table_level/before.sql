-- check_constraint__multi_column_table_level: table-level check spanning two columns
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.booking (
    id integer PRIMARY KEY,
    start_at timestamptz NOT NULL,
    end_at timestamptz NOT NULL
);
