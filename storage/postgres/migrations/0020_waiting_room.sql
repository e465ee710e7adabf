-- 0020: waiting rooms for high-demand on-sales (waitroom.Store).
--
-- A room's row is the queue's lock: a join takes it FOR UPDATE to number
-- its place (joined + 1), and an admission step takes it to move the
-- admitted cursor and stamp the places it passes, so two server
-- processes on one database share one queue, number places once and
-- admit each once. A place is admitted when its seq <= the room's
-- admitted; admitted_at and expires_at are set in that same step.

CREATE TABLE waiting_rooms (
    event_id         text COLLATE "C" PRIMARY KEY CONSTRAINT waiting_rooms_event_id_fkey REFERENCES events (id) ON DELETE CASCADE,
    enabled          boolean NOT NULL DEFAULT false,
    admit_per_minute integer NOT NULL DEFAULT 0,
    admission_ttl_us bigint NOT NULL DEFAULT 0,
    opens_at         timestamptz,
    joined           bigint NOT NULL DEFAULT 0,
    admitted         bigint NOT NULL DEFAULT 0 CHECK (admitted <= joined),
    credit_from      timestamptz,
    updated_at       timestamptz NOT NULL
);

CREATE TABLE waiting_places (
    event_id    text COLLATE "C" NOT NULL REFERENCES waiting_rooms (event_id) ON DELETE CASCADE,
    user_id     text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    joined_at   timestamptz NOT NULL,
    admitted_at timestamptz,
    expires_at  timestamptz,
    PRIMARY KEY (event_id, user_id),
    CONSTRAINT waiting_places_seq_key UNIQUE (event_id, seq)
);
