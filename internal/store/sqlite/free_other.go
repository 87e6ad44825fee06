//go:build !unix

package sqlite

// freeBytes cannot read free space here; readiness relies on the probe
// write alone.
func freeBytes(dir string) (free uint64, ok bool) { return 0, false }
