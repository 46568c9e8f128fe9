-- blind_spot__fk_not_valid_to_valid: NOT VALID FK becomes validated
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.kind (name text PRIMARY KEY);
CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
ALTER TABLE public.event ADD CONSTRAINT event_kind_fk FOREIGN KEY (kind) REFERENCES public.kind (name) NOT VALID;
