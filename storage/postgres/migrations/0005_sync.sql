-- 0005: gates, the check-ins they upload, and conflicts.
--
-- A check-in goes into the event's change log (changes, numbered by
-- change_seq) in the transaction that stores it, beside the issues and
-- revokes; the new columns of changes carry it. ticket_inside holds one
-- row per ticket of an event that ever checked in: checkin_id is the
-- entry that put it inside, '' while it is outside. Rows are never
-- deleted, so a transaction can lock a ticket's row whether or not the
-- ticket is inside (see doc.go, "Sync"). A conflict is keyed by the change
-- log seq of its second check-in, so conflicts list in commit order.

CREATE TABLE gates (
    id              text COLLATE "C" PRIMARY KEY,
    event_id        text COLLATE "C" NOT NULL CONSTRAINT gates_event_id_fkey REFERENCES events (id),
    name            text NOT NULL DEFAULT '',
    direction       text NOT NULL,
    allow_reentry   boolean NOT NULL DEFAULT false,
    types           integer[] NOT NULL DEFAULT '{}',
    code_hash       text COLLATE "C" NOT NULL DEFAULT '', -- '' once enrolled
    code_expires_at timestamptz,
    credential_hash text COLLATE "C" NOT NULL DEFAULT '',
    created_by      text COLLATE "C" NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    enrolled_at     timestamptz,
    revoked_at      timestamptz
);
CREATE INDEX gates_event ON gates (event_id, created_at, id);
CREATE UNIQUE INDEX gates_code_hash ON gates (code_hash) WHERE code_hash <> '';
CREATE UNIQUE INDEX gates_credential_hash ON gates (credential_hash) WHERE credential_hash <> '';

CREATE TABLE sync_checkins (
    id          text COLLATE "C" PRIMARY KEY,
    event_id    text COLLATE "C" NOT NULL,
    gate_id     text COLLATE "C" NOT NULL CONSTRAINT sync_checkins_gate_id_fkey REFERENCES gates (id),
    ticket_id   text COLLATE "C" NOT NULL,
    type_number integer NOT NULL,
    direction   text NOT NULL,
    at          timestamptz NOT NULL,
    offline     boolean NOT NULL DEFAULT false,
    received_at timestamptz NOT NULL
);
CREATE INDEX sync_checkins_gate_id ON sync_checkins (gate_id);

CREATE TABLE ticket_inside (
    event_id   text COLLATE "C" NOT NULL,
    ticket_id  text COLLATE "C" NOT NULL,
    checkin_id text COLLATE "C" NOT NULL DEFAULT '', -- '': outside
    gate_id    text COLLATE "C" NOT NULL DEFAULT '',
    at         timestamptz,
    offline    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (event_id, ticket_id)
);

CREATE TABLE conflicts (
    event_id          text COLLATE "C" NOT NULL,
    seq               bigint NOT NULL, -- the change log seq of the second check-in
    ticket_id         text COLLATE "C" NOT NULL,
    first_checkin_id  text COLLATE "C" NOT NULL,
    first_gate_id     text COLLATE "C" NOT NULL,
    first_at          timestamptz NOT NULL,
    first_offline     boolean NOT NULL,
    second_checkin_id text COLLATE "C" NOT NULL,
    second_gate_id    text COLLATE "C" NOT NULL,
    second_at         timestamptz NOT NULL,
    second_offline    boolean NOT NULL,
    detected_at       timestamptz NOT NULL,
    PRIMARY KEY (event_id, seq)
);

ALTER TABLE changes
    ADD COLUMN checkin_id text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN gate_id    text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN direction  text NOT NULL DEFAULT '',
    ADD COLUMN offline    boolean NOT NULL DEFAULT false;
