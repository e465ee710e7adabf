-- 0006: per-buyer limits. A ticket type may cap what one account buys of
-- it across orders; the inventory table keeps a counter row per buyer
-- and type (id "by:<buyer>:<type>") beside the type's own, moved in the
-- same transactions.

ALTER TABLE ticket_types ADD COLUMN per_buyer_max integer NOT NULL DEFAULT 0;
