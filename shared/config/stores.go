package config

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/contentml/mlbundle/shared/modelstore"
)

// ModelStore returns the settings of the checkpoint store and the active pointer:
// S3 and DynamoDB where MODELS_BUCKET and ACTIVE_TABLE name them, the local
// models directory otherwise. The clients are built from awsCfg but only used
// when a bucket or table is set.
func (c Config) ModelStore(awsCfg aws.Config) modelstore.Settings {
	return modelstore.Settings{Dir: c.ModelsDir, Bucket: c.ModelsBucket, Prefix: c.ModelsPrefix,
		ActiveTable: c.ActiveTable, S3: c.S3(awsCfg), Dynamo: c.DynamoDB(awsCfg)}
}
