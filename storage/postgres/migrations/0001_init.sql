-- 0001: accounts and the catalog.
--
-- Ids are COLLATE "C" so that ORDER BY id and id > $1 compare bytes, as
-- bbolt does, whatever the database's locale. users.email_key is the
-- email lower-cased by the program (Go's strings.ToLower), not by SQL
-- lower(), so uniqueness does not depend on the server's ctype either.

CREATE TABLE users (
    id             text COLLATE "C" PRIMARY KEY,
    email          text NOT NULL,
    email_key      text NOT NULL CONSTRAINT users_email_key UNIQUE,
    name           text NOT NULL DEFAULT '',
    password_hash  text NOT NULL,
    admin          boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL,
    totp_secret    text NOT NULL DEFAULT '',
    pending_totp   text NOT NULL DEFAULT '',
    totp_last_step bigint NOT NULL DEFAULT 0,
    recovery_codes text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX users_admin ON users (id) WHERE admin;

CREATE TABLE memberships (
    user_id text COLLATE "C" NOT NULL CONSTRAINT memberships_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
    -- No foreign key: organizations belong to the catalog, and the
    -- account store stands alone.
    org_id  text COLLATE "C" NOT NULL,
    role    text NOT NULL,
    PRIMARY KEY (user_id, org_id)
);

CREATE TABLE tokens (
    hash       text COLLATE "C" PRIMARY KEY,
    user_id    text COLLATE "C" NOT NULL CONSTRAINT tokens_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX tokens_user_id ON tokens (user_id);
CREATE INDEX tokens_expires_at ON tokens (expires_at);

CREATE TABLE orgs (
    id          text COLLATE "C" PRIMARY KEY,
    name        text NOT NULL,
    require_2fa boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL
);

CREATE TABLE venues (
    id         text COLLATE "C" PRIMARY KEY,
    org_id     text COLLATE "C" NOT NULL CONSTRAINT venues_org_id_fkey REFERENCES orgs (id),
    name       text NOT NULL,
    address    text NOT NULL DEFAULT '',
    city       text NOT NULL DEFAULT '',
    country    text NOT NULL DEFAULT '',
    lat        double precision NOT NULL DEFAULT 0,
    lon        double precision NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL
);
CREATE INDEX venues_org_id ON venues (org_id);
CREATE INDEX venues_city ON venues (country, city);

CREATE TABLE events (
    id          text COLLATE "C" PRIMARY KEY,
    org_id      text COLLATE "C" NOT NULL CONSTRAINT events_org_id_fkey REFERENCES orgs (id),
    venue_id    text COLLATE "C" CONSTRAINT events_venue_id_fkey REFERENCES venues (id), -- NULL: no venue (yet)
    title       text NOT NULL,
    description text NOT NULL DEFAULT '',
    category    text NOT NULL DEFAULT '',
    tags        text[] NOT NULL DEFAULT '{}',
    images      text[] NOT NULL DEFAULT '{}',
    time_zone   text NOT NULL DEFAULT '',
    starts_at   timestamptz, -- NULL: not set
    ends_at     timestamptz,
    doors_at    timestamptz,
    status      text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint NOT NULL DEFAULT 0
);
CREATE INDEX events_org_id ON events (org_id);
CREATE INDEX events_venue_id ON events (venue_id);
CREATE INDEX events_status_starts_at ON events (status, starts_at);

CREATE TABLE ticket_types (
    id             text COLLATE "C" PRIMARY KEY,
    event_id       text COLLATE "C" NOT NULL CONSTRAINT ticket_types_event_id_fkey REFERENCES events (id),
    number         integer NOT NULL CHECK (number BETWEEN 1 AND 65535),
    name           text NOT NULL,
    kind           text NOT NULL,
    price_amount   bigint NOT NULL,
    price_currency text NOT NULL,
    capacity       bigint NOT NULL DEFAULT 0,
    sale_starts    timestamptz, -- NULL: no bound
    sale_ends      timestamptz,
    per_order_max  bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL,
    CONSTRAINT ticket_types_event_number UNIQUE (event_id, number)
);
