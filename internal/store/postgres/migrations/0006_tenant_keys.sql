-- The tenant a key acts on ('' = every tenant, as every key made before),
-- the tenant of a bin (bins made before were made by operators: the
-- default tenant) and of an audit entry ('' = recorded by an operator).
-- The defaults hold for rows inserted by instances of the previous
-- release during a rolling upgrade.
ALTER TABLE api_keys ADD COLUMN tenant text NOT NULL DEFAULT '';
ALTER TABLE bins ADD COLUMN tenant text NOT NULL DEFAULT 'default';
ALTER TABLE audit_log ADD COLUMN tenant text NOT NULL DEFAULT '';
CREATE INDEX audit_log_tenant ON audit_log (tenant, id);
