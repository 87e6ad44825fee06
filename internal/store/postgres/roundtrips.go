package postgres

import (
	"context"
	"net"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// roundTrips counts the pool's round trips to PostgreSQL: a read on a
// connection after something was written to it is the answer to one
// exchange, however many statements were pipelined in it. It is the
// "round trips per event" term of the scale-out cost model, which
// pg_stat_database cannot give (it counts transactions).
type roundTrips struct{ n atomic.Int64 }

// wrap makes dial count the round trips of the connections it opens.
func (rt *roundTrips) wrap(dial pgconn.DialFunc) pgconn.DialFunc {
	if dial == nil {
		dial = (&net.Dialer{KeepAlive: 5 * time.Minute}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countedConn{Conn: c, rt: rt}, nil
	}
}

type countedConn struct {
	net.Conn
	rt    *roundTrips
	wrote atomic.Bool
}

func (c *countedConn) Write(b []byte) (int, error) {
	c.wrote.Store(true)
	return c.Conn.Write(b)
}

func (c *countedConn) Read(b []byte) (int, error) {
	if c.wrote.Swap(false) {
		c.rt.n.Add(1)
	}
	return c.Conn.Read(b)
}

// RoundTrips returns how many round trips the store's connection pool has
// made to PostgreSQL since it opened (metric
// hookline_postgres_round_trips_total).
func (s *Store) RoundTrips() int64 { return s.roundTrips.n.Load() }
