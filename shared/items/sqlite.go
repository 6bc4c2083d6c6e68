package items

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/contentml/mlbundle/shared/interactions"
)

var _ Store = (*SQLiteStore)(nil)

// SQLiteStore keeps the items in table registered_items of an SQLite file (locally the
// interactions file, INTERACTIONS_DB).
type SQLiteStore struct {
	db  *sql.DB
	now func() time.Time
}

// OpenSQLite opens (creating when needed) the items table in the database file at path.
func OpenSQLite(ctx context.Context, path string) (*SQLiteStore, error) {
	db, err := interactions.OpenDB(path)
	if err != nil {
		return nil, fmt.Errorf("open items db %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS registered_items (
		item_id TEXT PRIMARY KEY, title TEXT NOT NULL, description TEXT NOT NULL, category TEXT NOT NULL,
		embedding BLOB, model_version TEXT NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID`); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open items db %s: schema: %w", path, err)
	}
	return &SQLiteStore{db: db, now: time.Now}, nil
}

// Close releases the database.
func (s *SQLiteStore) Close() error { return s.db.Close() }

// Put implements Store.
func (s *SQLiteStore) Put(ctx context.Context, it Item) error {
	if err := Check(it.ItemID, it.Text); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO registered_items
		(item_id, title, description, category, embedding, model_version, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (item_id) DO UPDATE SET title = excluded.title, description = excluded.description,
		category = excluded.category, embedding = excluded.embedding, model_version = excluded.model_version,
		updated_at = excluded.updated_at`,
		it.ItemID, it.Title, it.Description, it.Category, encode(it.Embedding), it.ModelVersion,
		s.now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("register item %q: %w", it.ItemID, err)
	}
	return nil
}

// List implements Store.
func (s *SQLiteStore) List(ctx context.Context) ([]Item, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT item_id, title, description, category, embedding, model_version, updated_at
		FROM registered_items ORDER BY item_id`)
	if err != nil {
		return nil, fmt.Errorf("list registered items: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var emb []byte
		var at string
		if err := rows.Scan(&it.ItemID, &it.Title, &it.Description, &it.Category, &emb, &it.ModelVersion, &at); err != nil {
			return nil, fmt.Errorf("list registered items: %w", err)
		}
		if it.Embedding, err = decode(emb); err != nil {
			return nil, fmt.Errorf("list registered items: %q: %w", it.ItemID, err)
		}
		if it.UpdatedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("list registered items: updated_at of %q: %w", it.ItemID, err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}
