package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// MigrateTo applies the migrations up to version last to schema of the
// database at url, as a release that knew only those would have.
func MigrateTo(ctx context.Context, url, schema string, last int) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return err
	}
	setSchema(cfg, schema)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = migrateTo(ctx, conn, schema, last)
	return err
}
