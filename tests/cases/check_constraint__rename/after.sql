-- check_constraint__rename: same CHECK under a new name
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.product (
    id integer PRIMARY KEY,
    price numeric(10,2) NOT NULL,
    discount numeric(10,2) DEFAULT 0 NOT NULL,
    CONSTRAINT product_price_check_positive CHECK (price > 0)
);
