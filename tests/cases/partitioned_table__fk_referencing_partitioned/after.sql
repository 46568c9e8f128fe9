-- partitioned_table__fk_referencing_partitioned: FK from a plain table to a partitioned table's PK (PG12+)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.measurement (
    id bigint NOT NULL,
    logdate date NOT NULL,
    peak integer
) PARTITION BY RANGE (logdate);
CREATE TABLE public.measurement_2023 PARTITION OF public.measurement FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
ALTER TABLE public.measurement ADD PRIMARY KEY (id, logdate);
CREATE TABLE public.alert (id integer PRIMARY KEY, m_id bigint, m_date date,
    CONSTRAINT alert_measurement_fk FOREIGN KEY (m_id, m_date) REFERENCES public.measurement (id, logdate));
