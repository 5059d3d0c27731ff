-- The SqliteStore's tables (see sqlite.rs). Ids are ResponseId::to_bytes
-- blobs: 16 bytes, big-endian, so that SQLite's order for blobs (bytewise)
-- is arrival order.
CREATE TABLE forms (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    json BLOB NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE TABLE responses (
    seq INTEGER PRIMARY KEY,
    form TEXT NOT NULL,
    id BLOB NOT NULL,
    flagged INTEGER NOT NULL,
    json BLOB NOT NULL,
    record BLOB
);
CREATE UNIQUE INDEX responses_by_form ON responses (form, flagged, id);
CREATE TABLE submissions (
    form TEXT NOT NULL,
    submission TEXT NOT NULL,
    id BLOB NOT NULL,
    PRIMARY KEY (form, submission)
) WITHOUT ROWID;
CREATE TABLE invitations (
    invitation TEXT PRIMARY KEY,
    id BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE alerts (
    seq INTEGER PRIMARY KEY,
    json BLOB NOT NULL,
    pending INTEGER NOT NULL
);
CREATE INDEX alerts_pending ON alerts (seq) WHERE pending = 1;
CREATE TABLE tokens (
    hash BLOB PRIMARY KEY,
    json BLOB NOT NULL
);
CREATE TABLE docs (
    kind INTEGER NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE codes (
    form TEXT NOT NULL,
    id BLOB NOT NULL,
    question TEXT NOT NULL,
    json BLOB NOT NULL,
    PRIMARY KEY (form, id, question)
);
CREATE TABLE personal (
    form TEXT NOT NULL,
    id BLOB NOT NULL,
    json BLOB NOT NULL,
    PRIMARY KEY (form, id)
);
CREATE TABLE counts (
    form TEXT NOT NULL,
    version INTEGER NOT NULL,
    day TEXT NOT NULL,
    location TEXT NOT NULL,
    channel TEXT NOT NULL,
    lang TEXT NOT NULL,
    step TEXT NOT NULL,
    last_question TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (form, version, day, location, channel, lang, step, last_question)
);
