-- 0003: issued tickets and each event's change log.
--
-- A paid order's tickets and their log entries are written in the
-- transaction that marks it paid; a refund revokes them in the
-- transaction that marks it refunded. change_seq holds each event's last
-- sequence number: taking its row lock orders the event's log entries
-- by commit, without gaps.

ALTER TABLE ticket_types ADD COLUMN rotating_code boolean NOT NULL DEFAULT false;

CREATE TABLE tickets (
    id             text COLLATE "C" PRIMARY KEY,
    event_id       text COLLATE "C" NOT NULL CONSTRAINT tickets_event_id_fkey REFERENCES events (id),
    ticket_type_id text COLLATE "C" NOT NULL,
    type_number    integer NOT NULL,
    order_id       text COLLATE "C" NOT NULL CONSTRAINT tickets_order_id_fkey REFERENCES orders (id),
    holder_id      text COLLATE "C" NOT NULL,
    token          text NOT NULL,
    key_id         text NOT NULL,
    rotating       boolean NOT NULL,
    status         text NOT NULL,
    issued_at      timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoke_reason  text NOT NULL DEFAULT '',
    replaced_by    text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX tickets_holder ON tickets (holder_id, issued_at, id);
CREATE INDEX tickets_order ON tickets (order_id, issued_at, id);

CREATE TABLE change_seq (
    event_id text COLLATE "C" PRIMARY KEY,
    last     bigint NOT NULL
);

CREATE TABLE changes (
    event_id    text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    kind        text NOT NULL,
    ticket_id   text COLLATE "C" NOT NULL,
    type_number integer NOT NULL,
    reason      text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    PRIMARY KEY (event_id, seq)
);
