-- Every key of a tenant table leads with tenant_id, so Citus can distribute the table by tenant
-- (docs/scaling.md). Tokens are still found by their hash alone when a link is followed, hence
-- the plain index on id.
ALTER TABLE user_token DROP CONSTRAINT user_token_pkey;
ALTER TABLE user_token ADD PRIMARY KEY (tenant_id, id);
CREATE INDEX user_token_id ON user_token (id);
