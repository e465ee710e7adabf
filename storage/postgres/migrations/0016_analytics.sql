-- 0016: indexes for an event's figures (analytics.Store.EventCounts):
-- its tickets by state and type, covering what the counts read so the
-- planner can answer from the index alone; its entry check-ins by gate
-- and time. Before them the stats route read every ticket and check-in
-- of every event.
CREATE INDEX tickets_event ON tickets (event_id, status, ticket_type_id) INCLUDE (replaced_by, lineage, id);
CREATE INDEX sync_checkins_event ON sync_checkins (event_id, direction, gate_id, at);

-- The city a buyer may give at checkout (purchase.CheckCity), for the
-- organizer's insights; '' when not given.
ALTER TABLE orders ADD COLUMN buyer_city text NOT NULL DEFAULT '';
