package availability

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/contentml/mlbundle/shared/interactions"
)

var _ Store = (*SQLiteStore)(nil)

// SQLiteStore keeps the list in table unavailable_items of an SQLite file (locally the
// interactions file, INTERACTIONS_DB).
type SQLiteStore struct {
	db  *sql.DB
	now func() time.Time
}

// OpenSQLite opens (creating when needed) the list in the database file at path.
func OpenSQLite(ctx context.Context, path string) (*SQLiteStore, error) {
	db, err := interactions.OpenDB(path)
	if err != nil {
		return nil, fmt.Errorf("open availability db %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS unavailable_items (
		item_id TEXT PRIMARY KEY, reason TEXT NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open availability db %s: schema: %w", path, err)
	}
	return &SQLiteStore{db: db, now: time.Now}, nil
}

// Close releases the database.
func (s *SQLiteStore) Close() error { return s.db.Close() }

// List implements Store.
func (s *SQLiteStore) List(ctx context.Context) ([]Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT item_id, reason, updated_at FROM unavailable_items ORDER BY item_id`)
	if err != nil {
		return nil, fmt.Errorf("list unavailable items: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at string
		if err := rows.Scan(&e.ItemID, &e.Reason, &at); err != nil {
			return nil, fmt.Errorf("list unavailable items: %w", err)
		}
		if e.UpdatedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("list unavailable items: updated_at of %q: %w", e.ItemID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// MarkUnavailable implements Store.
func (s *SQLiteStore) MarkUnavailable(ctx context.Context, itemID, reason string) error {
	if err := checkItem(itemID, reason); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO unavailable_items (item_id, reason, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (item_id) DO UPDATE SET reason = excluded.reason, updated_at = excluded.updated_at`,
		itemID, reason, s.now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("mark %q unavailable: %w", itemID, err)
	}
	return nil
}

// MarkAvailable implements Store.
func (s *SQLiteStore) MarkAvailable(ctx context.Context, itemID string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM unavailable_items WHERE item_id = ?`, itemID); err != nil {
		return fmt.Errorf("mark %q available: %w", itemID, err)
	}
	return nil
}
