-- 0007: an event's orders by id, for winding up a cancelled event's sales.
CREATE INDEX orders_event_id ON orders (event_id, id);
