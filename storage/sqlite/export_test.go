package sqlite

import (
	"context"
	"time"
)

// OpenWithBusyTimeout is Open with another busy timeout, so tests can see a
// lock outlast it without waiting the real one out.
func OpenWithBusyTimeout(ctx context.Context, path string, busy time.Duration) (*DB, error) {
	return open(ctx, path, busy)
}
