package report

// The projections' tables, in the log's own database file. They hold
// nothing the log does not: Rebuild drops them and reads the log again.
//
// report_stints: one row per caller's stay in a queue, keyed by the seq
// of its caller.joined. open marks a stay whose wait or conversation the
// projector still follows (waiting, or answered and not yet ended).
// Indexed by joined_ns (and by queue) because every report selects stays
// by the period their joining falls in; the joined_ns index holds every
// column the figures read, so that a year's report reads the index alone
// rather than seek each of millions of rows in the table.
//
// report_intervals: one row per ended agent state interval. Reports clip
// them to [From, To); to find those overlapping a period with the
// index on from_ns, the longest interval ever stored (max_interval_ns in
// report_position) bounds how far before From one may start.
//
// report_agent_days: the intervals' time summed per agent, UTC day,
// state, reason, queue and queue set, split at midnight UTC. A report
// over whole days reads these rather than millions of intervals; only
// its first and last partial days read report_intervals. Starts counts
// the intervals starting that day, missed those of them the agent's
// phone did not take.
//
// report_agent_state: each agent's open interval (the state it is in
// now), so that a restarted projector carries on where it stopped and
// reports can include the time up to now. queues is the queues the agent
// is logged in to; iv_queues those it was in at any time during the
// open interval (an agent logging out leaves its queues just before its
// last interval ends, and that interval was still theirs).
//
// report_callbacks: one row per callback request, keyed by its number.
const schema = `
CREATE TABLE IF NOT EXISTS report_position (
	id              INTEGER PRIMARY KEY CHECK (id = 1),
	seq             INTEGER NOT NULL,
	last_at_ns      INTEGER NOT NULL,
	max_interval_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS report_stints (
	id          INTEGER PRIMARY KEY,
	call_id     TEXT NOT NULL,
	interaction TEXT NOT NULL,
	queue       TEXT NOT NULL,
	caller      TEXT NOT NULL,
	joined_ns   INTEGER NOT NULL,
	ended_ns    INTEGER NOT NULL DEFAULT 0,
	outcome     TEXT NOT NULL,
	wait_ms     INTEGER NOT NULL DEFAULT 0,
	agent       TEXT NOT NULL DEFAULT '',
	talk_ms     INTEGER NOT NULL DEFAULT 0,
	wrap_ms     INTEGER NOT NULL DEFAULT 0,
	offers      INTEGER NOT NULL DEFAULT 0,
	open        INTEGER NOT NULL DEFAULT 1
);
DROP INDEX IF EXISTS report_stints_joined;
CREATE INDEX IF NOT EXISTS report_stints_figures ON report_stints(joined_ns, queue, outcome, agent, wait_ms, talk_ms, wrap_ms);
CREATE INDEX IF NOT EXISTS report_stints_queue ON report_stints(queue, joined_ns);
CREATE TABLE IF NOT EXISTS report_intervals (
	id      INTEGER PRIMARY KEY,
	agent   TEXT NOT NULL,
	state   TEXT NOT NULL,
	reason  TEXT NOT NULL,
	queue   TEXT NOT NULL,
	call_id TEXT NOT NULL,
	queues  TEXT NOT NULL,
	from_ns INTEGER NOT NULL,
	to_ns   INTEGER NOT NULL,
	missed  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS report_intervals_from ON report_intervals(from_ns);
CREATE TABLE IF NOT EXISTS report_agent_days (
	agent  TEXT NOT NULL,
	day_ns INTEGER NOT NULL,
	state  TEXT NOT NULL,
	reason TEXT NOT NULL,
	queue  TEXT NOT NULL,
	queues TEXT NOT NULL,
	ns     INTEGER NOT NULL,
	starts INTEGER NOT NULL,
	missed INTEGER NOT NULL,
	PRIMARY KEY (day_ns, agent, state, reason, queue, queues)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS report_agent_state (
	agent    TEXT PRIMARY KEY,
	state    TEXT NOT NULL,
	since_ns INTEGER NOT NULL,
	reason   TEXT NOT NULL,
	queue    TEXT NOT NULL,
	call_id  TEXT NOT NULL,
	stint    INTEGER NOT NULL,
	missed   INTEGER NOT NULL,
	queues   TEXT NOT NULL,
	iv_queues TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS report_callbacks (
	request      INTEGER PRIMARY KEY,
	queue        TEXT NOT NULL,
	interaction  TEXT NOT NULL,
	requested_ns INTEGER NOT NULL,
	answered_ns  INTEGER NOT NULL DEFAULT 0,
	closed_ns    INTEGER NOT NULL DEFAULT 0,
	outcome      TEXT NOT NULL DEFAULT '',
	agent        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS report_callbacks_requested ON report_callbacks(requested_ns);
INSERT OR IGNORE INTO report_position(id, seq, last_at_ns, max_interval_ns) VALUES (1, 0, 0, 0);
`

// dropSchema is what Rebuild drops before creating the tables again.
const dropSchema = `
DROP TABLE IF EXISTS report_position;
DROP TABLE IF EXISTS report_stints;
DROP TABLE IF EXISTS report_intervals;
DROP TABLE IF EXISTS report_agent_days;
DROP TABLE IF EXISTS report_agent_state;
DROP TABLE IF EXISTS report_callbacks;
`
