package interactions

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registers "sqlite"
)

// DefaultDBPath is where the embedded store lives when INTERACTIONS_DB is unset.
const DefaultDBPath = ".local/interactions.db"

var _ Store = (*SQLiteStore)(nil)

// SQLiteStore is the embedded Store: one SQLite file (WAL mode), no server needed.
type SQLiteStore struct {
	db  *sql.DB
	now func() time.Time
}

const sqliteSchema = `
CREATE TABLE IF NOT EXISTS interactions (
	user_id TEXT NOT NULL,
	sk      TEXT NOT NULL,
	item_id TEXT NOT NULL,
	ts      TEXT NOT NULL,
	event   TEXT,
	weight  REAL,
	PRIMARY KEY (user_id, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS popularity (
	item_id TEXT PRIMARY KEY,
	count   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS popularity_top ON popularity (count DESC, item_id);
CREATE TABLE IF NOT EXISTS item_users (
	item_id TEXT NOT NULL,
	user_id TEXT NOT NULL,
	PRIMARY KEY (item_id, user_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS forgotten (
	user_id TEXT PRIMARY KEY,
	at      TEXT NOT NULL
) WITHOUT ROWID;`

// sqliteVersion is the schema's user_version. Version 1 counts popularity by distinct
// users (table item_users); a file of version 0 counted every interaction, and opening
// it rebuilds both tables from the stored interactions. Version 2 adds the optional
// category column of interactions.
const sqliteVersion = 2

const sqliteMigrateV2 = `
ALTER TABLE interactions ADD COLUMN category TEXT;
PRAGMA user_version = 2;`

const sqliteMigrateV1 = `
DELETE FROM item_users;
INSERT INTO item_users (item_id, user_id) SELECT DISTINCT item_id, user_id FROM interactions;
DELETE FROM popularity;
INSERT INTO popularity (item_id, count) SELECT item_id, COUNT(*) FROM item_users GROUP BY item_id;
PRAGMA user_version = 1;`

// OpenDB opens (creating it and its folder when needed) the local SQLite file at path
// with the settings every store in it shares: WAL, a 10 s busy timeout, NORMAL sync and
// immediate write transactions. The interactions store and the availability list both
// live in this file (INTERACTIONS_DB) and open it through here.
func OpenDB(path string) (*sql.DB, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return sql.Open("sqlite", "file:"+path+"?"+q.Encode())
}

// OpenSQLite opens (creating when needed) the database file at path and its schema.
func OpenSQLite(ctx context.Context, path string) (*SQLiteStore, error) {
	db, err := OpenDB(path)
	if err != nil {
		return nil, fmt.Errorf("open interactions db %s: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open interactions db %s: schema: %w", path, err)
	}
	return &SQLiteStore{db: db, now: time.Now}, nil
}

// migrate creates the schema and brings an older file up to sqliteVersion, in one
// transaction so that concurrent openers do not rebuild twice.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, sqliteSchema); err != nil {
		return err
	}
	var v int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	for step, sql := range []string{1: sqliteMigrateV1, 2: sqliteMigrateV2} {
		if step == 0 || v >= step {
			continue
		}
		if _, err := tx.ExecContext(ctx, sql); err != nil {
			return fmt.Errorf("migrate to version %d: %w", step, err)
		}
	}
	return tx.Commit()
}

// Close releases the database.
func (s *SQLiteStore) Close() error { return s.db.Close() }

// Add implements Store.
func (s *SQLiteStore) Add(ctx context.Context, in []Interaction) error {
	if err := Validate(in, s.now()); err != nil {
		return err
	}
	if len(in) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add interactions: %w", err)
	}
	if err := addTx(ctx, tx, dedupe(in)); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("add interactions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add interactions: commit: %w", err)
	}
	return nil
}

func addTx(ctx context.Context, tx *sql.Tx, in []Interaction) error {
	ins, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO interactions
		(user_id, sk, item_id, ts, event, weight, category) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	pair, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO item_users (item_id, user_id) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer pair.Close()
	pop, err := tx.PrepareContext(ctx, `INSERT INTO popularity (item_id, count) VALUES (?, 1)
		ON CONFLICT (item_id) DO UPDATE SET count = count + 1`)
	if err != nil {
		return err
	}
	defer pop.Close()
	for _, x := range in {
		var event sql.NullString
		if x.Event != "" {
			event = sql.NullString{String: x.Event, Valid: true}
		}
		var weight sql.NullFloat64
		if x.Weight != nil {
			weight = sql.NullFloat64{Float64: *x.Weight, Valid: true}
		}
		category := sql.NullString{String: x.Category, Valid: x.Category != ""}
		if _, err := ins.ExecContext(ctx, x.UserID, sortKey(x), x.ItemID, FormatTime(x.Time), event, weight, category); err != nil {
			return err
		}
		res, err := pair.ExecContext(ctx, x.ItemID, x.UserID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue // the user has counted for this item already
		}
		if _, err := pop.ExecContext(ctx, x.ItemID); err != nil {
			return err
		}
	}
	return nil
}

// Seen implements Store.
func (s *SQLiteStore) Seen(ctx context.Context, userID string) (map[string]struct{}, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT item_id FROM interactions WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("seen items of %q: %w", userID, err)
	}
	defer rows.Close()
	out := make(map[string]struct{})
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("seen items of %q: %w", userID, err)
		}
		out[id] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seen items of %q: %w", userID, err)
	}
	return out, nil
}

// Recent implements Store.
func (s *SQLiteStore) Recent(ctx context.Context, userID string, limit int) ([]Interaction, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT item_id, ts, event, weight, category FROM interactions
		WHERE user_id = ? ORDER BY sk DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("recent interactions of %q: %w", userID, err)
	}
	defer rows.Close()
	var out []Interaction
	for rows.Next() {
		x := Interaction{UserID: userID}
		var ts string
		var event, category sql.NullString
		var weight sql.NullFloat64
		if err := rows.Scan(&x.ItemID, &ts, &event, &weight, &category); err != nil {
			return nil, fmt.Errorf("recent interactions of %q: %w", userID, err)
		}
		if x.Time, err = time.Parse(time.RFC3339Nano, ts); err != nil {
			return nil, fmt.Errorf("recent interactions of %q: stored timestamp: %w", userID, err)
		}
		x.Event, x.Category = event.String, category.String
		if weight.Valid {
			w := weight.Float64
			x.Weight = &w
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// TopItems implements Store.
func (s *SQLiteStore) TopItems(ctx context.Context, n int) ([]ItemCount, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx,
		`SELECT item_id, count FROM popularity ORDER BY count DESC, item_id LIMIT ?`, n)
	if err != nil {
		return nil, fmt.Errorf("top items: %w", err)
	}
	defer rows.Close()
	var out []ItemCount
	for rows.Next() {
		var c ItemCount
		if err := rows.Scan(&c.ItemID, &c.Count); err != nil {
			return nil, fmt.Errorf("top items: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("top items: %w", err)
	}
	return out, nil
}
