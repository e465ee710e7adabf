-- 0002: purchasing: inventory counters, holds, orders, idempotency keys.
--
-- inventory holds one row per ticket type (id = the type's id) and one
-- per event (id = event_id) for the event's shared capacity. The event's
-- row is the lock every change to the event's counters takes first (see
-- doc.go, "Purchasing"). sold counts pending and paid orders, held active
-- holds. capacity is the limit the last reservation was checked against,
-- kept for people reading the table; the program passes the current one
-- with every reservation.

CREATE TABLE inventory (
    id       text COLLATE "C" PRIMARY KEY,
    event_id text COLLATE "C" NOT NULL CONSTRAINT inventory_event_id_fkey REFERENCES events (id),
    capacity bigint NOT NULL DEFAULT 0,
    sold     bigint NOT NULL DEFAULT 0 CONSTRAINT inventory_sold_check CHECK (sold >= 0),
    held     bigint NOT NULL DEFAULT 0 CONSTRAINT inventory_held_check CHECK (held >= 0)
);
CREATE INDEX inventory_event_id ON inventory (event_id);

-- lines is a JSON array of {"ticket_type_id", "quantity"}; shared is the
-- part of the quantity drawn from the event's row.
CREATE TABLE holds (
    id         text COLLATE "C" PRIMARY KEY,
    buyer_id   text COLLATE "C" NOT NULL,
    event_id   text COLLATE "C" NOT NULL CONSTRAINT holds_event_id_fkey REFERENCES events (id),
    lines      jsonb NOT NULL,
    shared     bigint NOT NULL DEFAULT 0,
    status     text NOT NULL,
    order_id   text COLLATE "C", -- NULL until ordered
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX holds_active_expires_at ON holds (expires_at) WHERE status = 'active';

-- lines is a JSON array of {"ticket_type_id", "quantity", "unit_price"}.
CREATE TABLE orders (
    id                text COLLATE "C" PRIMARY KEY,
    hold_id           text COLLATE "C" NOT NULL CONSTRAINT orders_hold_id_key UNIQUE
                      CONSTRAINT orders_hold_id_fkey REFERENCES holds (id),
    buyer_id          text COLLATE "C" NOT NULL,
    event_id          text COLLATE "C" NOT NULL CONSTRAINT orders_event_id_fkey REFERENCES events (id),
    lines             jsonb NOT NULL,
    shared            bigint NOT NULL DEFAULT 0,
    total_amount      bigint NOT NULL,
    total_currency    text NOT NULL,
    status            text NOT NULL,
    payment_intent_id text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    paid_at           timestamptz, -- NULL: not paid
    refunded_at       timestamptz,
    cancelled_at      timestamptz
);
CREATE INDEX orders_buyer_id ON orders (buyer_id);
CREATE INDEX orders_pending_expires_at ON orders (expires_at) WHERE status = 'pending_payment';

CREATE TABLE idempotency_keys (
    key          text COLLATE "C" PRIMARY KEY,
    request_hash text NOT NULL,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now()
);
