-- 0018: attendees' feedback (feedback.Store: one answer per account and
-- event), merchandise pickups (merch.Store: one per order and ticket
-- type, the key that makes a pickup happen once across desks) and a
-- gate's purpose (sync.Gate.Purpose: '' for a door, 'merch_pickup').

ALTER TABLE gates ADD COLUMN purpose text NOT NULL DEFAULT '' CHECK (purpose IN ('', 'merch_pickup'));

CREATE TABLE feedback (
    id       text PRIMARY KEY,
    event_id text NOT NULL,
    user_id  text NOT NULL,
    rating   smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment  text NOT NULL DEFAULT '',
    at       timestamptz NOT NULL,
    UNIQUE (event_id, user_id)
);
CREATE INDEX feedback_comments ON feedback (event_id, at, id) WHERE comment <> '';

CREATE TABLE merch_pickups (
    order_id       text NOT NULL,
    ticket_type_id text NOT NULL,
    event_id       text NOT NULL,
    quantity       integer NOT NULL CHECK (quantity > 0),
    gate_id        text NOT NULL,
    gate_name      text NOT NULL,
    at             timestamptz NOT NULL,
    PRIMARY KEY (order_id, ticket_type_id)
);
