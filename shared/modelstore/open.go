package modelstore

// Settings choose the model store and the active pointer (from MODELS_DIR,
// MODELS_BUCKET, MODELS_PREFIX and ACTIVE_TABLE).
type Settings struct {
	Dir         string    // local store root and, without ActiveTable, home of the ACTIVE files
	Bucket      string    // S3 store when set
	Prefix      string    // key prefix in Bucket ("models/")
	ActiveTable string    // DynamoDB pointer when set
	S3          S3API     // needed with Bucket
	Dynamo      DynamoAPI // needed with ActiveTable
}

// Open returns the store and pointer the settings name: S3 and DynamoDB when a
// bucket and table are given, the local directory otherwise.
func Open(s Settings) (Store, Pointer) {
	var store Store = NewLocal(s.Dir)
	if s.Bucket != "" {
		store = NewS3(s.S3, s.Bucket, s.Prefix)
	}
	var ptr Pointer = NewLocalPointer(s.Dir)
	if s.ActiveTable != "" {
		ptr = NewDynamoPointer(s.Dynamo, s.ActiveTable)
	}
	return store, ptr
}
