-- 0009: against hoarding, a ticket type may cap what one account has of
-- it in active holds at a time (0: only the server's cap on an event's
-- admission tickets held per account). The counts live in the per-buyer
-- inventory rows of 0006, beside which each buyer now also has one row
-- per event (id "by:<buyer>:<event>").

ALTER TABLE ticket_types ADD COLUMN max_held_per_buyer integer NOT NULL DEFAULT 0;
