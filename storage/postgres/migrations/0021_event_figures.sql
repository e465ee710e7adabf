-- 0021: an event's figures (analytics.Store.EventCounts) kept as they
-- change, in the transactions that change them, instead of counted from
-- every order, ticket and check-in on each read (about 200 ms at 100,000 of
-- each; see doc.go, "An event's figures").
--
-- event_figures holds signed deltas, appended by statement-level
-- triggers on orders, tickets, sync_checkins, ticket_inside and
-- conflicts: one row per figure a statement changed, with what it added or took away.
-- Rows are only ever inserted by writers, never updated, so two writers
-- of one event never wait for each other here (no hot row); a read sums
-- the event's rows, and EventCounts folds them into one row per figure
-- now and then (DELETE ... RETURNING into INSERT, one transaction).
-- Being written with the records they count, in the same transaction,
-- the figures cannot drift from them: a rolled-back write takes its
-- deltas with it.
--
-- figure is one of:
--   paid, refunded  order totals in minor units, part = currency
--                   (paid: every order paid, refunded since or not)
--   sales_orders, sales_units  orders paid and the units they bought
--                   (every line's quantity), minute = the hour (UTC)
--                   they were paid in
--   valid, revoked  tickets by state, part = ticket type id
--                   (revoked counts those not replaced by a transfer)
--   entries         entry check-ins, part = gate id, minute = the
--                   minute (UTC) the gate scanned them in
--   checked_in      lineages with an entry on record
--   inside          lineages inside now
--   conflicts, offline_conflicts
--   never_entered   valid tickets whose lineage has no entry on record
CREATE TABLE event_figures (
    event_id text COLLATE "C" NOT NULL,
    figure   text COLLATE "C" NOT NULL,
    part     text COLLATE "C" NOT NULL DEFAULT '',
    minute   timestamptz,
    n        bigint NOT NULL
);
CREATE INDEX event_figures_event ON event_figures (event_id);
-- A lineage's tickets other than its first, for never_entered.
CREATE INDEX tickets_lineage ON tickets (lineage) WHERE lineage <> '';

-- event_figures_of returns, for the rows of a table (rel: the table
-- itself, or a transition table's name), the SELECT of the figures they
-- count. For the tickets that is also never_entered, the valid tickets
-- whose lineage has no entry on record; when a lineage's first entry is
-- recorded, what it takes from never_entered (its valid tickets) is
-- counted by its ticket_inside row, in the delta a trigger appends
-- (moves) but not in a count of the tables (the tickets' rows count it).
-- Both read the other table, so every writer that changes a lineage's
-- entry or its tickets' states holds the lineage's ticket_inside row
-- lock first (uploads, transfers, refunds; a new ticket's lineage has
-- no entry): see doc.go, "An event's figures".
CREATE FUNCTION event_figures_of(tab text, rel text, moves boolean) RETURNS text LANGUAGE sql IMMUTABLE AS $$
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
                SELECT 1 FROM tickets AS t WHERE t.id = i.ticket_id AND t.event_id = i.event_id AND t.status = 'valid'
                UNION ALL SELECT 1 FROM tickets AS t WHERE t.lineage = i.ticket_id AND t.lineage <> ''
                    AND t.event_id = i.event_id AND t.status = 'valid') AS v
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

-- event_figures_read is the columns of a table that event_figures_of
-- reads.
CREATE FUNCTION event_figures_read(tab text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE tab
    WHEN 'orders' THEN 'event_id, status, total_currency, total_amount, paid_at, lines'
    WHEN 'tickets' THEN 'event_id, id, ticket_type_id, status, replaced_by, lineage'
    WHEN 'sync_checkins' THEN 'event_id, gate_id, at, direction'
    WHEN 'ticket_inside' THEN 'event_id, ticket_id, entered_checkin_id, checkin_id'
    WHEN 'conflicts' THEN 'event_id, first_offline, second_offline'
    END
$$;

-- event_figures_track appends what a statement changed: its new rows'
-- figures minus its old rows', only the figures that moved. An UPDATE
-- counts only the rows whose counted columns changed (the others'
-- old and new rows are equal there, and cancel out: EXCEPT ALL), so a
-- statement that rewrites every ticket of an event for another column
-- (a validity change) costs a comparison, not a count of each row.
CREATE FUNCTION event_figures_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    src text;
BEGIN
    src := CASE TG_OP
        WHEN 'INSERT' THEN event_figures_of(TG_TABLE_NAME, 'new_rows', true)
        WHEN 'DELETE' THEN format('SELECT event_id, figure, part, minute, -n FROM (%s) AS o',
            event_figures_of(TG_TABLE_NAME, 'old_rows', true))
        ELSE format('WITH o AS (SELECT %1$s FROM old_rows), n AS (SELECT %1$s FROM new_rows),
                changed_new AS (SELECT * FROM n EXCEPT ALL SELECT * FROM o),
                changed_old AS (SELECT * FROM o EXCEPT ALL SELECT * FROM n)
            %2$s UNION ALL SELECT event_id, figure, part, minute, -n FROM (%3$s) AS o',
            event_figures_read(TG_TABLE_NAME),
            event_figures_of(TG_TABLE_NAME, 'changed_new', true), event_figures_of(TG_TABLE_NAME, 'changed_old', true))
        END;
    EXECUTE format('INSERT INTO event_figures (event_id, figure, part, minute, n)
        SELECT event_id, figure, part, minute, sum(n) FROM (%s) AS c
        GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0', src);
    RETURN NULL;
END
$$;

-- A trigger with transition tables fires on one kind of statement, so
-- three per table. CREATE TRIGGER locks each table against writers until
-- this migration commits, so the backfill after them sees every row
-- written before and the triggers every row written after.
DO $$
DECLARE
    tab text;
BEGIN
    FOREACH tab IN ARRAY ARRAY['orders', 'tickets', 'sync_checkins', 'ticket_inside', 'conflicts'] LOOP
        EXECUTE format('CREATE TRIGGER %1$I AFTER INSERT ON %2$I REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION event_figures_track()', tab || '_figures_insert', tab);
        EXECUTE format('CREATE TRIGGER %1$I AFTER UPDATE ON %2$I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION event_figures_track()', tab || '_figures_update', tab);
        EXECUTE format('CREATE TRIGGER %1$I AFTER DELETE ON %2$I REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION event_figures_track()', tab || '_figures_delete', tab);
    END LOOP;
    -- The figures of what is already stored.
    FOREACH tab IN ARRAY ARRAY['orders', 'tickets', 'sync_checkins', 'ticket_inside', 'conflicts'] LOOP
        EXECUTE format('INSERT INTO event_figures (event_id, figure, part, minute, n)
            SELECT event_id, figure, part, minute, n FROM (%s) AS c WHERE n <> 0', event_figures_of(tab, tab, false));
    END LOOP;
END
$$;
