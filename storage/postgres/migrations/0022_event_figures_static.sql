-- 0022: the figure triggers of 0021 run static SQL, planned once per
-- connection, instead of building and planning their statement at every
-- call.
--
-- event_figures_track (0021) assembled its INSERT with format() and ran
-- it with EXECUTE, which PL/pgSQL plans anew each time: in a flash sale on
-- PostgreSQL (auto_explain, log_triggers) the trigger of one grouped
-- UPDATE of 31 orders took 3.6-18 ms while the UPDATE itself took 0.2-0.8
-- ms, most of it planning the statement. Here the same statements are
-- written, once, into one function per table and operation; PL/pgSQL
-- prepares a static statement at its first call in a connection and
-- reuses the plan after. What each trigger appends is unchanged:
-- figures_test.go compares the figures with a count of the records after
-- every kind of write.

-- event_figures_statement is the INSERT into event_figures of what a
-- statement of kind op (INSERT, UPDATE or DELETE) on table tab changed,
-- reading its transition tables: what event_figures_track ran.
CREATE FUNCTION event_figures_statement(tab text, op text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format('INSERT INTO event_figures (event_id, figure, part, minute, n)
        SELECT event_id, figure, part, minute, sum(n) FROM (%s) AS c
        GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0', CASE op
        WHEN 'INSERT' THEN event_figures_of(tab, 'new_rows', true)
        WHEN 'DELETE' THEN format('SELECT event_id, figure, part, minute, -n FROM (%s) AS o',
            event_figures_of(tab, 'old_rows', true))
        ELSE format('WITH o AS (SELECT %1$s FROM old_rows), n AS (SELECT %1$s FROM new_rows),
                changed_new AS (SELECT * FROM n EXCEPT ALL SELECT * FROM o),
                changed_old AS (SELECT * FROM o EXCEPT ALL SELECT * FROM n)
            %2$s UNION ALL SELECT event_id, figure, part, minute, -n FROM (%3$s) AS o',
            event_figures_read(tab),
            event_figures_of(tab, 'changed_new', true), event_figures_of(tab, 'changed_old', true))
        END)
$$;

-- One function per table and operation, named event_figures_<table>_<op>,
-- each running its statement; the triggers move to them. Dropping and
-- creating the triggers in this transaction locks each table against
-- writers until it commits, so no write is counted twice or not at all.
DO $$
DECLARE
    tab text;
    op text;
    fn text;
BEGIN
    FOREACH tab IN ARRAY ARRAY['orders', 'tickets', 'sync_checkins', 'ticket_inside', 'conflicts'] LOOP
        FOREACH op IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
            fn := format('event_figures_%s_%s', tab, lower(op));
            EXECUTE format('CREATE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS %L', fn,
                format(E'BEGIN\n%s;\nRETURN NULL;\nEND', event_figures_statement(tab, op)));
            EXECUTE format('DROP TRIGGER %I ON %I', tab || '_figures_' || lower(op), tab);
            EXECUTE format('CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s
                FOR EACH STATEMENT EXECUTE FUNCTION %I()', tab || '_figures_' || lower(op), op, tab,
                CASE op WHEN 'INSERT' THEN 'NEW TABLE AS new_rows'
                    WHEN 'DELETE' THEN 'OLD TABLE AS old_rows'
                    ELSE 'OLD TABLE AS old_rows NEW TABLE AS new_rows' END, fn);
        END LOOP;
    END LOOP;
END
$$;

DROP FUNCTION event_figures_track();
