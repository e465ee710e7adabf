-- 0011: ticket links (purchase.Link): signed-in holders make links that
-- take a ticket to a phone without a bearer token. Only the SHA-256 of a
-- link's token is kept, and of the secret of the device that opened it
-- first ('' until then).
CREATE TABLE ticket_links (
    hash        text COLLATE "C" PRIMARY KEY,
    ticket_id   text COLLATE "C" NOT NULL REFERENCES tickets (id),
    holder_id   text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    device_hash text COLLATE "C" NOT NULL DEFAULT '',
    bound_at    timestamptz,
    revoked_at  timestamptz
);

CREATE INDEX ticket_links_ticket_id ON ticket_links (ticket_id);
