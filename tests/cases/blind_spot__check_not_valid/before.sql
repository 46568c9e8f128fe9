-- blind_spot__check_not_valid: validated CHECK replaced by the same CHECK NOT VALID
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_kind_check CHECK (kind <> ''),
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
