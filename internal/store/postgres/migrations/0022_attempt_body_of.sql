-- An attempt whose body is its event's, as a webhook format makes it,
-- names the format here and stores no copy (webhook.Attempt.RequestBodyOf):
-- one body fewer per webhook and attempt.
ALTER TABLE attempts ADD COLUMN request_body_of text NOT NULL DEFAULT '';
