package sqlite

// FirstReleaseSchema is the schema that databases start from, before
// upgrades.
var FirstReleaseSchema = schemaSQL
