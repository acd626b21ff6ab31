-- The HQ console's branch health board (docs/console.md): what each branch's transfer agent
-- reports of itself in Hello, kept with the branch's status. agent_version is NULL until the
-- branch's agent first reports one; backlog_documents counts the documents among `backlog`.

ALTER TABLE branch ADD COLUMN agent_version TEXT;
ALTER TABLE branch ADD COLUMN backlog_documents BIGINT NOT NULL DEFAULT 0;
