package sqlite

// FirstReleaseSchema is the schema that databases start from, before
// upgrades.
var FirstReleaseSchema = schemaSQL

// Upgrades are the schema upgrades in order; Upgrades[:n] is what a
// database at user_version n has had.
var Upgrades = upgrades
