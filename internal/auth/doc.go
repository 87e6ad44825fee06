// Package auth issues and checks API keys and holds the records of every
// kind of credential: API keys, dashboard users and their sessions.
//
// It keeps nothing itself: the small storage interface it consumes (Store)
// is declared here and implemented by the store backends, which import
// this package for its record types.
package auth
