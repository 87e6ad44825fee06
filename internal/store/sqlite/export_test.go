package sqlite

import (
	"database/sql"
	"strconv"
)

// FirstReleaseSchema is the schema that databases start from, before
// upgrades.
var FirstReleaseSchema = schemaSQL

// Upgrades are the schema upgrades in order; Upgrades[:n] is what a
// database at user_version n has had.
var Upgrades = upgrades

// SetMaxPageCount caps the database's size on the writer's connection, so
// that tests meet a full database without filling a disk.
func (s *Store) SetMaxPageCount(n int) error {
	_, err := s.wdb.Exec(`PRAGMA max_page_count = ` + strconv.Itoa(n))
	return err
}

// PageCount returns the database's size in pages.
func (s *Store) PageCount() (n int, err error) {
	err = s.wdb.QueryRow(`PRAGMA page_count`).Scan(&n)
	return n, err
}

// DB is the read pool, for benchmarks that compare a query of their own.
func (s *Store) DB() *sql.DB { return s.rdb }

// Counts returns the group commits so far and the statements run through
// the hot-path helpers (exec, query, queryRow).
func (s *Store) Counts() (commits, stmts int64) { return s.commits.Load(), s.statements.Load() }
