-- A permanent refusal by the mail server (SMTP 5xx) is kept with the notification, so a retry or a
-- replay of the activity returns the same answer instead of sending again.
ALTER TABLE notifications ADD COLUMN refused_at timestamptz;
ALTER TABLE notifications ADD COLUMN refusal_code integer;
ALTER TABLE notifications ADD COLUMN refusal text;
