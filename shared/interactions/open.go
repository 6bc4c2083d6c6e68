package interactions

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/contentml/mlbundle/shared/config"
)

// Settings choose a store: DynamoDB when both table names are set, else SQLite.
type Settings struct {
	InteractionsTable string    // INTERACTIONS_TABLE
	PopularityTable   string    // POPULARITY_TABLE
	Dynamo            DynamoAPI // needed with the tables
	DBPath            string    // INTERACTIONS_DB; DefaultDBPath when empty
}

// Open returns the store the settings name and a function that releases it.
func Open(ctx context.Context, s Settings) (Store, func() error, error) {
	if s.InteractionsTable != "" || s.PopularityTable != "" {
		if s.InteractionsTable == "" || s.PopularityTable == "" || s.Dynamo == nil {
			return nil, nil, errors.New("interactions store: DynamoDB needs both table names and a client")
		}
		return NewDynamo(s.Dynamo, s.InteractionsTable, s.PopularityTable), func() error { return nil }, nil
	}
	path := s.DBPath
	if path == "" {
		path = DefaultDBPath
	}
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	return db, db.Close, nil
}

// SettingsFrom returns the settings the configuration names: DynamoDB where
// INTERACTIONS_TABLE and POPULARITY_TABLE are set, SQLite at INTERACTIONS_DB
// otherwise. The client is built from awsCfg but only used with the tables. (It
// lives here, not in config, so that functions without interactions do not link
// the SQLite driver.)
func SettingsFrom(c config.Config, awsCfg aws.Config) Settings {
	return Settings{InteractionsTable: c.InteractionsTable, PopularityTable: c.PopularityTable,
		Dynamo: c.DynamoDB(awsCfg), DBPath: c.InteractionsDB}
}
