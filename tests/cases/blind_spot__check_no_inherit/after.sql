-- blind_spot__check_no_inherit: CHECK becomes NO INHERIT (pg_get_constraintdef differs only by NO INHERIT)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.event (
    id bigint NOT NULL,
    kind text NOT NULL,
    payload text,
    CONSTRAINT event_kind_check CHECK (kind <> '') NO INHERIT,
    CONSTRAINT event_pkey PRIMARY KEY (id)
);
