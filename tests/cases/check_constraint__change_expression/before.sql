-- check_constraint__change_expression: CHECK expression changes under the same name
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.product (
    id integer PRIMARY KEY,
    price numeric(10,2) NOT NULL,
    discount numeric(10,2) DEFAULT 0 NOT NULL,
    CONSTRAINT product_discount_range CHECK (discount >= 0)
);
