-- quoting__table_with_spaces: "Order Items" with "Unit Price": column, index and check added
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public."Order Items" (
    "Item ID" integer PRIMARY KEY,
    "Unit Price" numeric(10,2) CONSTRAINT "Unit Price >= 0" CHECK ("Unit Price" >= 0),
    "Qty Ordered" integer DEFAULT 1 NOT NULL
);
CREATE INDEX "Order Items by price" ON public."Order Items" ("Unit Price" DESC);
