-- 0013: organizers' webhook endpoints (webhook.Store); their deliveries
-- are outbox messages of channel 'webhook' whose target is the endpoint,
-- listed newest first per endpoint.

CREATE TABLE webhook_endpoints (
    id         text PRIMARY KEY,
    org_id     text NOT NULL,
    url        text NOT NULL,
    kinds      text[] NOT NULL,
    secret     bytea NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at, id);

CREATE INDEX outbox_webhook_target ON outbox (target, created_at DESC, id DESC) WHERE channel = 'webhook';
