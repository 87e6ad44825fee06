package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestOpenAPIGeneratedTypes generates TypeScript types from the OpenAPI
// document with openapi-typescript, as a TypeScript user would, and
// type-checks sdk/openapi-check/check.ts (a publish with arbitrary data, a
// webhook and an event type with an example and a schema) under tsc
// --strict: free-form JSON must come out as "any object", never
// Record<string, never>, so that no cast is needed.
func TestOpenAPIGeneratedTypes(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node is not installed")
	}
	dir, err := filepath.Abs(filepath.Join("..", "sdk", "openapi-check"))
	if err != nil {
		t.Fatal(err)
	}
	npmCI(t, dir, filepath.Join("node_modules", "openapi-typescript", "package.json"))
	// check.ts imports what this writes to gen/ (ignored by git).
	runSuite(t, dir, os.Environ(), node, filepath.Join("node_modules", "openapi-typescript", "bin", "cli.js"),
		filepath.Join("..", "..", "internal", "api", "openapi.json"), "-o", filepath.Join("gen", "api.d.ts"))
	runSuite(t, dir, os.Environ(), node, filepath.Join("node_modules", "typescript", "bin", "tsc"), "-p", ".")
}
