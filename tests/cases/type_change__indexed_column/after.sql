-- type_change__indexed_column: int -> bigint on a column with an index and a CHECK
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.cust (
    id integer PRIMARY KEY,
    points bigint CONSTRAINT cust_points_check CHECK (points >= 0),
    note text
);
CREATE INDEX cust_points_idx ON public.cust (points);
