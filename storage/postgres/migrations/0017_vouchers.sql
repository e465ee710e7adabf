-- 0017: access and discount codes (voucher.Store), hidden ticket types,
-- and the code a hold or order redeemed.
--
-- A code is found by lookup, SHA-256 of the event id and its normalized
-- text (voucher.Lookup), never by comparing the text. Its uses are
-- counted in inventory, in the row 'cd:' || id (purchase.CodeKey), whose
-- event_id is the code's event, so they move in the same transactions
-- as the capacity.

ALTER TABLE ticket_types ADD COLUMN hidden boolean NOT NULL DEFAULT false;

-- code is a purchase.CodeUse as JSON; NULL: the hold redeemed none.
ALTER TABLE holds ADD COLUMN code jsonb;
ALTER TABLE orders ADD COLUMN code jsonb,
    ADD COLUMN discount_amount bigint NOT NULL DEFAULT 0;

CREATE TABLE codes (
    id              text COLLATE "C" PRIMARY KEY,
    event_id        text COLLATE "C" NOT NULL CONSTRAINT codes_event_id_fkey REFERENCES events (id),
    lookup          bytea NOT NULL CONSTRAINT codes_lookup_key UNIQUE,
    code            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('access', 'discount')),
    ticket_type_ids text[] NOT NULL DEFAULT '{}',
    percent_off     integer NOT NULL DEFAULT 0,
    amount_off      bigint NOT NULL DEFAULT 0,
    max_uses        integer NOT NULL DEFAULT 0,
    valid_from      timestamptz,
    valid_until     timestamptz,
    disabled_at     timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX codes_event ON codes (event_id, created_at, id);
