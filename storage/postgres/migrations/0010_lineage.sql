-- 0010: ticket lineage. A transfer's new ticket names the ticket it
-- replaces and the lineage's original ticket; the change log's issue
-- entries carry `replaces` to the gates. ticket_inside is keyed by the
-- lineage's original ticket, remembers which ticket put it inside and its
-- first entry for good (a ticket someone entered on is never
-- transferred). Conflicts name the ticket scanned on each side. Events
-- may lock transfers and buyers' refunds from doors on. Tickets keep
-- their validity end, from which (with the issuer key) the token is
-- derived again instead of being stored.
ALTER TABLE events ADD COLUMN lock_tickets_at_doors boolean NOT NULL DEFAULT false;

ALTER TABLE tickets
    ADD COLUMN replaces    text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN lineage     text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN valid_until timestamptz;

ALTER TABLE changes ADD COLUMN replaces text COLLATE "C" NOT NULL DEFAULT '';

ALTER TABLE ticket_inside
    ADD COLUMN inside_ticket_id   text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN entered_ticket_id  text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN entered_checkin_id text COLLATE "C" NOT NULL DEFAULT '', -- '': never entered
    ADD COLUMN entered_gate_id    text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN entered_at         timestamptz;

-- Entries recorded before this migration: the first entry of each ticket.
UPDATE ticket_inside AS i
SET entered_ticket_id = f.ticket_id, entered_checkin_id = f.id, entered_gate_id = f.gate_id, entered_at = f.at
FROM (SELECT DISTINCT ON (event_id, ticket_id) event_id, ticket_id, id, gate_id, at
      FROM sync_checkins WHERE direction = 'entry'
      ORDER BY event_id, ticket_id, received_at, id) AS f
WHERE i.event_id = f.event_id AND i.ticket_id = f.ticket_id;
UPDATE ticket_inside SET inside_ticket_id = ticket_id WHERE checkin_id <> '';

ALTER TABLE conflicts
    ADD COLUMN first_ticket_id  text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN second_ticket_id text COLLATE "C" NOT NULL DEFAULT '';

-- Uploaded check-ins the hub refused to record (sync.CheckUpload): kept
-- for the organizer, never counted.
CREATE TABLE sync_quarantine (
    checkin_id  text COLLATE "C" PRIMARY KEY,
    event_id    text COLLATE "C" NOT NULL,
    gate_id     text COLLATE "C" NOT NULL,
    ticket_id   text NOT NULL,
    type_number integer NOT NULL,
    direction   text NOT NULL,
    at          timestamptz NOT NULL,
    offline     boolean NOT NULL,
    reason      text NOT NULL,
    detail      text NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX sync_quarantine_event_id ON sync_quarantine (event_id, checkin_id);
