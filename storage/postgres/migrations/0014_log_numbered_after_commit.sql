-- 0014: the change log is numbered after commit, so that no writer holds
-- its event's change_seq row lock until it commits (see doc.go, "The
-- change log").
--
-- A writer inserts its entries with seq NULL; pos, drawn from the
-- change_pos sequence at insert (no lock), orders them until a
-- numbering round gives them their seq under the change_seq row lock,
-- which only rounds (and writers of older versions, which number inside
-- their transaction under the same lock) take. Both kinds of writer can
-- run side by side during an upgrade: each takes seqs from change_seq.last
-- under its row lock.
--
-- Conflicts were keyed by their second check-in's seq, known at insert
-- only while writers numbered their own entries; they are now keyed and
-- ordered by a pos drawn from the same sequence when they are found.

CREATE SEQUENCE change_pos;
SELECT setval('change_pos', greatest(1,
    (SELECT coalesce(max(seq), 0) FROM changes),
    (SELECT coalesce(max(seq), 0) FROM conflicts)));

ALTER TABLE changes ADD COLUMN pos bigint;
UPDATE changes SET pos = seq;
ALTER TABLE changes ALTER COLUMN pos SET DEFAULT nextval('change_pos'),
    ALTER COLUMN pos SET NOT NULL;
ALTER TABLE changes DROP CONSTRAINT changes_pkey;
ALTER TABLE changes ALTER COLUMN seq DROP NOT NULL;
-- NULLs are distinct: unnumbered entries never collide here.
CREATE UNIQUE INDEX changes_event_seq ON changes (event_id, seq);
-- What a numbering round (and the sweep) looks for.
CREATE INDEX changes_unnumbered ON changes (event_id, pos) WHERE seq IS NULL;

ALTER TABLE conflicts ADD COLUMN pos bigint;
UPDATE conflicts SET pos = seq;
ALTER TABLE conflicts ALTER COLUMN pos SET DEFAULT nextval('change_pos'),
    ALTER COLUMN pos SET NOT NULL;
ALTER TABLE conflicts DROP CONSTRAINT conflicts_pkey;
ALTER TABLE conflicts ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE conflicts ADD PRIMARY KEY (event_id, pos);
