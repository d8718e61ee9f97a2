-- The knowledge base (issue 13): articles, answers learned from the team,
-- and one full-text index over both. Paired with ../postgres/0022_knowledge.sql.
--
-- Both kinds share one index (kb_docs), so a query ranks articles and
-- answers on the same scale. Each document's "terms" are computed in Go
-- (internal/knowledge/terms.go): folded words plus their Snowball stems
-- in English, French and Spanish, the title twice, so the two databases
-- index exactly the same words and neither engine needs a stemmer of
-- its own.
CREATE TABLE kb_articles (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    tags       TEXT    NOT NULL DEFAULT '',
    lang       TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('published', 'draft')),
    source     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX kb_articles_updated ON kb_articles (updated_at DESC, id DESC);

-- A learned answer: an agent's reply in a resolved conversation, masked,
-- with the customer's question it answered. resolved_at is the
-- resolution it was learned from: a later reopening or a bad survey of
-- that resolution makes it stale (see store/knowledge_answers.go).
CREATE TABLE kb_answers (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    message_id      INTEGER NOT NULL UNIQUE REFERENCES messages (id),
    inbox_id        INTEGER NOT NULL REFERENCES inboxes (id),
    agent_id        INTEGER REFERENCES agents (id),
    resolved_at     INTEGER NOT NULL,
    question        TEXT    NOT NULL,
    answer          TEXT    NOT NULL,
    lang            TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX kb_answers_conversation ON kb_answers (conversation_id);

CREATE TABLE kb_docs (
    id        INTEGER PRIMARY KEY,
    kind      TEXT    NOT NULL CHECK (kind IN ('article', 'answer')),
    ref_id    INTEGER NOT NULL,
    lang      TEXT    NOT NULL DEFAULT '',
    published BOOLEAN NOT NULL,
    terms     TEXT    NOT NULL,
    UNIQUE (kind, ref_id)
);

-- detail = full (the default): bm25 reads each match's counts from the
-- index. With detail = column, FTS5 re-tokenizes every matching
-- document's terms to rank it, about ten times slower.
CREATE VIRTUAL TABLE kb_fts USING fts5 (
    terms,
    content = 'kb_docs',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER kb_fts_insert AFTER INSERT ON kb_docs BEGIN
    INSERT INTO kb_fts (rowid, terms) VALUES (new.id, new.terms);
END;
CREATE TRIGGER kb_fts_delete AFTER DELETE ON kb_docs BEGIN
    INSERT INTO kb_fts (kb_fts, rowid, terms) VALUES ('delete', old.id, old.terms);
END;
CREATE TRIGGER kb_fts_update AFTER UPDATE OF terms ON kb_docs BEGIN
    INSERT INTO kb_fts (kb_fts, rowid, terms) VALUES ('delete', old.id, old.terms);
    INSERT INTO kb_fts (rowid, terms) VALUES (new.id, new.terms);
END;

-- How many documents hold each term ('' : how many documents in all),
-- kept in the transactions that write kb_docs. Search reads it to query
-- with a customer's rarer words first, so a question full of common
-- words never makes an engine rank most of the index (see
-- internal/knowledge/search.go). The same table on both databases, so
-- both choose the same words.
CREATE TABLE kb_terms (
    term TEXT    PRIMARY KEY,
    docs INTEGER  NOT NULL
);
