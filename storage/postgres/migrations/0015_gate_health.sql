-- 0015: gates' health (sync.HealthStore): per gate the server's record
-- (last seen, last sync, clock skew, the last status report and totals)
-- as one JSON document, and per gate and minute the increase of its
-- counters (scans, admits, refusals by verdict).

CREATE TABLE gate_health (
    gate_id  text COLLATE "C" PRIMARY KEY REFERENCES gates (id),
    event_id text COLLATE "C" NOT NULL,
    health   jsonb NOT NULL
);
CREATE INDEX gate_health_event ON gate_health (event_id);

CREATE TABLE gate_minutes (
    event_id text COLLATE "C" NOT NULL,
    minute   timestamptz NOT NULL,
    gate_id  text COLLATE "C" NOT NULL REFERENCES gates (id),
    scans    bigint NOT NULL,
    admits   bigint NOT NULL,
    refusals jsonb NOT NULL,
    PRIMARY KEY (event_id, minute, gate_id)
);
