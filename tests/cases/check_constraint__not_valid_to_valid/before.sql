-- check_constraint__not_valid_to_valid: NOT VALID check becomes validated
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.product (
    id integer PRIMARY KEY,
    price numeric(10,2) NOT NULL,
    discount numeric(10,2) DEFAULT 0 NOT NULL
);
ALTER TABLE public.product ADD CONSTRAINT product_price_positive CHECK (price > 0) NOT VALID;
