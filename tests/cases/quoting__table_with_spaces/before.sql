-- quoting__table_with_spaces: "Order Items" with "Unit Price": column, index and check added
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public."Order Items" (
    "Item ID" integer PRIMARY KEY,
    "Unit Price" numeric(10,2)
);
