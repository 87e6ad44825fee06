//go:build !unix

package app

// lockDataDir only creates the directory where flock is unavailable; run one
// server per data directory there.
func lockDataDir(dir string) (func(), error) {
	return func() {}, ensureDir(dir)
}

// DataDirInUse cannot tell here: it says no.
func DataDirInUse(dir string) bool { return false }
