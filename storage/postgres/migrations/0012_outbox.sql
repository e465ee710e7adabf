-- 0012: Web Push subscriptions (one per device, its endpoint unique) and
-- the outbox of outgoing messages (notify.Store): a message is pending
-- until sent or failed; a claim leases it until lease_until.

CREATE TABLE push_subscriptions (
    id         text PRIMARY KEY,
    user_id    text NOT NULL,
    endpoint   text NOT NULL UNIQUE,
    p256dh     bytea NOT NULL,
    auth       bytea NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id, created_at, id);

CREATE TABLE outbox (
    id          text PRIMARY KEY,
    channel     text NOT NULL,
    user_id     text NOT NULL,
    target      text NOT NULL,
    payload     bytea NOT NULL,
    status      text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    integer NOT NULL DEFAULT 0,
    next_at     timestamptz NOT NULL,
    lease_until timestamptz,
    created_at  timestamptz NOT NULL,
    done_at     timestamptz,
    last_error  text NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_at, id) WHERE status = 'pending';
