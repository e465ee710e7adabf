-- 0004: sealed secrets of issuer.Vault: the server's issuer keys
-- ("issuer/<nanos>/<kid>"), events' rotation keys ("rotation/<event id>")
-- and key id claims ("kid/<kid>"). Values are sealed by the program
-- (XChaCha20-Poly1305 under the data directory's seal.key, with the name
-- as associated data); the database never sees a key in clear. Rows are
-- written once and never changed: the first writer of a name wins.
-- COLLATE "C" orders names byte by byte, as bbolt does, and lets a
-- LIKE 'prefix%' scan use the primary key.

CREATE TABLE secrets (
    name       text COLLATE "C" PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
