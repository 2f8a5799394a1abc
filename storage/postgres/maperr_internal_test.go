package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/iamd/iamd/storage"
)

func TestMapErr(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	cases := []struct {
		name string
		err  error
		want error // nil: passed on unchanged
	}{
		{"no rows is not found", pgx.ErrNoRows, storage.ErrNotFound},
		{"a unique violation is a conflict", &pgconn.PgError{Code: "23505"}, storage.ErrConflict},
		{"a foreign key violation is a conflict", &pgconn.PgError{Code: "23503"}, storage.ErrConflict},
		{"a connection failure is unavailable", &pgconn.PgError{Code: "08006"}, storage.ErrUnavailable},
		{"a refused connection attempt is unavailable", &pgconn.PgError{Code: "08004"}, storage.ErrUnavailable},
		{"too many connections is unavailable", &pgconn.PgError{Code: "53300"}, storage.ErrUnavailable},
		{"an out of memory server is unavailable", &pgconn.PgError{Code: "53200"}, storage.ErrUnavailable},
		{"an administrator shutdown is unavailable", &pgconn.PgError{Code: "57P01"}, storage.ErrUnavailable},
		{"a crash shutdown is unavailable", &pgconn.PgError{Code: "57P02"}, storage.ErrUnavailable},
		{"a server starting up is unavailable", &pgconn.PgError{Code: "57P03"}, storage.ErrUnavailable},
		{"a wrapped server error is mapped", fmt.Errorf("begin: %w", &pgconn.PgError{Code: "57P01"}), storage.ErrUnavailable},
		{"a dial error is unavailable", refused, storage.ErrUnavailable},
		{"a reset connection is unavailable", fmt.Errorf("read: %w", syscall.ECONNRESET), storage.ErrUnavailable},
		{"a closed connection is unavailable", pgconn.ErrConnClosed, storage.ErrUnavailable},
		{"a connection cut mid-message is unavailable", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), storage.ErrUnavailable},
		{"waiting for a connection past the deadline is unavailable", context.DeadlineExceeded, storage.ErrUnavailable},
		{"a cancelled request is not unavailable", context.Canceled, nil},
		{"wrong credentials are not unavailable", &pgconn.PgError{Code: "28P01"}, nil},
		{"a missing table is not unavailable", &pgconn.PgError{Code: "42P01"}, nil},
		{"a serialization failure is not unavailable", &pgconn.PgError{Code: "40001"}, nil},
		{"an unknown error passes unchanged", errors.New("boom"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := mapErr(tc.err)
			switch {
			case tc.want == nil:
				if got != tc.err {
					t.Fatalf("mapErr(%v) = %v, want it unchanged", tc.err, got)
				}
			case !errors.Is(got, tc.want):
				t.Fatalf("mapErr(%v) = %v, want %v", tc.err, got, tc.want)
			case tc.want == storage.ErrUnavailable && !errors.Is(got, tc.err):
				t.Fatalf("mapErr(%v) = %v, which lost the driver's error", tc.err, got)
			}
			if again := mapErr(got); again != got {
				t.Errorf("mapping twice gives %v, want %v", again, got)
			}
		})
	}
	if mapErr(nil) != nil {
		t.Error("mapErr(nil) is not nil")
	}
}
