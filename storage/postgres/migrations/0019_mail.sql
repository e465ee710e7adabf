-- 0019: email. Accounts that unsubscribed from the mail they may refuse
-- (reminders, organizers' messages): notify.Store.SetUnsubscribed; and
-- whether an account's address was verified (account.User.EmailVerified).

CREATE TABLE mail_unsubscribed (
    user_id text PRIMARY KEY,
    at      timestamptz NOT NULL
);

ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false;
