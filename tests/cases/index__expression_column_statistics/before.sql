-- index__expression_column_statistics: an expression index column gets a statistics target (ALTER INDEX ... SET STATISTICS)
-- state: BEFORE (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.posts (id integer, tags text);
CREATE INDEX posts_tags_idx ON public.posts (lower(tags));
