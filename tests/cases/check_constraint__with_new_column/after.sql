-- check_constraint__with_new_column: new column and a CHECK referencing it added together
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.product (
    id integer PRIMARY KEY,
    price numeric(10,2) NOT NULL,
    discount numeric(10,2) DEFAULT 0 NOT NULL,
    stock integer DEFAULT 0 NOT NULL,
    CONSTRAINT product_stock_nonneg CHECK (stock >= 0)
);
