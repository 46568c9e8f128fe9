-- blind_spot__check_not_valid: validated CHECK replaced by the same CHECK NOT VALID
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
ALTER TABLE public.event ADD CONSTRAINT event_kind_check CHECK (kind <> '') NOT VALID;
