-- The stage's clock (issue 11): the due deadline stays in stage_deadline (moved only by a recorded
-- change: a delivery delay, a resumed pause, an extension or a shortening); the final stage's last
-- chance (one more timescale after its deadline) is kept apart, so it never hides that the case is
-- overdue; and a paused clock is not overdue while it is paused (shared/overdue.ts).
ALTER TABLE cases ADD COLUMN stage_last_chance timestamptz;
ALTER TABLE cases ADD COLUMN clock_paused_at timestamptz;
