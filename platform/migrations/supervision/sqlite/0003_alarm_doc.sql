-- The whole alarm as the workflow sees it (facts, deadlines, steps, supervisions) as JSON: the
-- state machine's own record, rewritten in the transaction of every step. The columns of
-- `alarms`, `alarm_steps` and `supervisions` stay the indexed projection queries and statistics
-- read.
ALTER TABLE alarms ADD COLUMN doc TEXT NOT NULL DEFAULT '{}';
