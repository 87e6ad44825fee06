-- The request catcher (issue 20): a bin's custom response (NULL for the
-- default), and of each captured request its request target and protocol
-- as received and the status it was answered with.
ALTER TABLE bins ADD COLUMN response jsonb;
ALTER TABLE bin_requests ADD COLUMN target text NOT NULL DEFAULT '';
ALTER TABLE bin_requests ADD COLUMN proto text NOT NULL DEFAULT '';
ALTER TABLE bin_requests ADD COLUMN answered integer NOT NULL DEFAULT 0;
