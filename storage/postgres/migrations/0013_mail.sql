-- 0013: accounts that unsubscribed from the mail they may refuse
-- (reminders, organizers' messages): notify.Store.SetUnsubscribed.

CREATE TABLE mail_unsubscribed (
    user_id text PRIMARY KEY,
    at      timestamptz NOT NULL
);
