-- check_constraint__multi_column_table_level: table-level check spanning two columns
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.booking (
    id integer PRIMARY KEY,
    start_at timestamptz NOT NULL,
    end_at timestamptz NOT NULL,
    CONSTRAINT booking_order CHECK (start_at < end_at)
);
