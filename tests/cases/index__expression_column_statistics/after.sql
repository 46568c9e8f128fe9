-- index__expression_column_statistics: an expression index column gets a statistics target (ALTER INDEX ... SET STATISTICS)
-- state: AFTER (loads into an empty PostgreSQL 15 database)
-- expect: converge

CREATE TABLE public.posts (id integer, tags text);
CREATE INDEX posts_tags_idx ON public.posts (lower(tags));
ALTER INDEX public.posts_tags_idx ALTER COLUMN 1 SET STATISTICS 3000;
CREATE INDEX posts_tags2_idx ON public.posts (upper(tags));
ALTER INDEX public.posts_tags2_idx ALTER COLUMN 1 SET STATISTICS 500;
