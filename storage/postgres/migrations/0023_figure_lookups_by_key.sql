-- 0023: two fixes to the figure triggers of 0021 and 0022.
--
-- 1. A lineage's tickets are found by key. When a lineage's first entry
--    is recorded, the ticket_inside triggers count what it takes from
--    never_entered by reading the lineage's valid tickets. Their lookups
--    also said "t.event_id = i.event_id", which let the planner read
--    them through tickets_event (event_id, status, ...) and filter on
--    the id: every valid ticket of the event for each lineage. With no
--    statistics of the tickets table yet (a fresh database, or an event
--    sold since the last ANALYZE) the planner costed both indexes alike
--    and took that one, and the plan, cached per connection since 0022,
--    kept it: one upload group of 300 check-ins at an event of 57,000
--    tickets took 12 s. Ticket ids are unique across events, and a
--    lineage's tickets are its event's, so the event condition added
--    nothing; without it only tickets_pkey and tickets_lineage fit.
--    TestFigureTriggersFindTicketsByKey checks the plans.
-- 2. The DELETE triggers summed a column their statement never named
--    ("-n" without "AS n"), so a DELETE from any counted table failed.
--    Nothing deletes from them today; TestFigureTriggersCountDeletes
--    deletes from each and compares the figures with a recount.
--
-- Each trigger function is written again from the corrected text, as
-- 0022 wrote them; CREATE OR REPLACE keeps the triggers pointing at them.

-- event_figures_of as 0021 wrote it (see there), but for the lookups
-- of the ticket_inside triggers (1).
CREATE OR REPLACE FUNCTION event_figures_of(tab text, rel text, moves boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE tab
    WHEN 'tickets' THEN format($q$
        SELECT event_id, 'valid' AS figure, ticket_type_id AS part, NULL::timestamptz AS minute, count(*) AS n
            FROM %1$I WHERE status = 'valid' GROUP BY 1, 3
        UNION ALL SELECT event_id, 'revoked', ticket_type_id, NULL, count(*)
            FROM %1$I WHERE status = 'revoked' AND replaced_by = '' GROUP BY 1, 3
        UNION ALL SELECT t.event_id, 'never_entered', '', NULL, count(*)
            FROM %1$I AS t WHERE t.status = 'valid' AND NOT EXISTS (SELECT 1 FROM ticket_inside AS i
                WHERE i.event_id = t.event_id AND i.ticket_id = CASE WHEN t.lineage = '' THEN t.id ELSE t.lineage END
                AND i.entered_checkin_id <> '') GROUP BY 1$q$, rel)
    WHEN 'sync_checkins' THEN format($q$
        SELECT event_id, 'entries' AS figure, gate_id AS part, date_trunc('minute', at, 'UTC') AS minute, count(*) AS n
            FROM %1$I WHERE direction = 'entry' GROUP BY 1, 3, 4$q$, rel)
    WHEN 'ticket_inside' THEN format($q$
        SELECT event_id, 'checked_in' AS figure, '' AS part, NULL::timestamptz AS minute, count(*) AS n
            FROM %1$I WHERE entered_checkin_id <> '' GROUP BY 1
        UNION ALL SELECT event_id, 'inside', '', NULL, count(*)
            FROM %1$I WHERE checkin_id <> '' GROUP BY 1$q$, rel) || CASE WHEN moves THEN format($q$
        UNION ALL SELECT i.event_id, 'never_entered', '', NULL, -count(*)
            FROM %1$I AS i CROSS JOIN LATERAL (
                SELECT 1 FROM tickets AS t WHERE t.id = i.ticket_id AND t.status = 'valid'
                UNION ALL SELECT 1 FROM tickets AS t WHERE t.lineage = i.ticket_id AND t.lineage <> ''
                    AND t.status = 'valid') AS v
            WHERE i.entered_checkin_id <> '' GROUP BY 1$q$, rel) ELSE '' END
    WHEN 'orders' THEN format($q$
        SELECT event_id, 'paid' AS figure, total_currency AS part, NULL::timestamptz AS minute, sum(total_amount)::bigint AS n
            FROM %1$I WHERE status IN ('paid', 'refunded') GROUP BY 1, 3
        UNION ALL SELECT event_id, 'refunded', total_currency, NULL, sum(total_amount)::bigint
            FROM %1$I WHERE status = 'refunded' GROUP BY 1, 3
        UNION ALL SELECT event_id, 'sales_orders', '', date_trunc('hour', paid_at, 'UTC'), count(*)
            FROM %1$I WHERE status IN ('paid', 'refunded') GROUP BY 1, 4
        UNION ALL SELECT event_id, 'sales_units', '', date_trunc('hour', paid_at, 'UTC'),
                coalesce(sum((SELECT sum((l->>'quantity')::int) FROM jsonb_array_elements(lines) AS l)), 0)::bigint
            FROM %1$I WHERE status IN ('paid', 'refunded') GROUP BY 1, 4$q$, rel)
    WHEN 'conflicts' THEN format($q$
        SELECT event_id, 'conflicts' AS figure, '' AS part, NULL::timestamptz AS minute, count(*) AS n
            FROM %1$I GROUP BY 1
        UNION ALL SELECT event_id, 'offline_conflicts', '', NULL, count(*)
            FROM %1$I WHERE first_offline OR second_offline GROUP BY 1$q$, rel)
    END
$$;

-- event_figures_statement as 0022 wrote it, but for the DELETE form (2).
CREATE OR REPLACE FUNCTION event_figures_statement(tab text, op text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format('INSERT INTO event_figures (event_id, figure, part, minute, n)
        SELECT event_id, figure, part, minute, sum(n) FROM (%s) AS c
        GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0', CASE op
        WHEN 'INSERT' THEN event_figures_of(tab, 'new_rows', true)
        WHEN 'DELETE' THEN format('SELECT event_id, figure, part, minute, -n AS n FROM (%s) AS o',
            event_figures_of(tab, 'old_rows', true))
        ELSE format('WITH o AS (SELECT %1$s FROM old_rows), n AS (SELECT %1$s FROM new_rows),
                changed_new AS (SELECT * FROM n EXCEPT ALL SELECT * FROM o),
                changed_old AS (SELECT * FROM o EXCEPT ALL SELECT * FROM n)
            %2$s UNION ALL SELECT event_id, figure, part, minute, -n FROM (%3$s) AS o',
            event_figures_read(tab),
            event_figures_of(tab, 'changed_new', true), event_figures_of(tab, 'changed_old', true))
        END)
$$;

DO $$
DECLARE
    tab text;
    op text;
BEGIN
    FOREACH tab IN ARRAY ARRAY['orders', 'tickets', 'sync_checkins', 'ticket_inside', 'conflicts'] LOOP
        FOREACH op IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
            EXECUTE format('CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS %L',
                format('event_figures_%s_%s', tab, lower(op)),
                format(E'BEGIN\n%s;\nRETURN NULL;\nEND', event_figures_statement(tab, op)));
        END LOOP;
    END LOOP;
END
$$;
