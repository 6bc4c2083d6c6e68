// Package config reads the process configuration from environment variables into a
// typed Config, checking every variable and reporting all problems together.
//
// The variables and their local defaults:
//
//	MODELS_DIR          local checkpoint store                      (models)
//	MODELS_BUCKET       S3 bucket of checkpoints; set = S3 store    (unset)
//	MODELS_PREFIX       key prefix inside MODELS_BUCKET             (models/)
//	ACTIVE_TABLE        DynamoDB active-pointer table               (unset = ACTIVE files)
//	INTERACTIONS_TABLE  DynamoDB interactions table (with POPULARITY_TABLE)
//	POPULARITY_TABLE    DynamoDB popularity table                   (unset = SQLite)
//	INTERACTIONS_DB     embedded SQLite file                        (.local/interactions.db)
//	ONNXRUNTIME_LIB     path of libonnxruntime.so.1                 (/opt/lib/... on Lambda)
//	MODEL_TTL_SECONDS   how often the active pointer is re-read     (30)
//	AUTH_MODE           none | jwt                                  (none)
//	SERVICE_SCOPE       scope that may act on any user under jwt    (mlbundle/service)
//	LOG_LEVEL           debug | info | warn | error                 (info)
//	RELOAD_ALLOW_BELOW_POPULARITY  reload promotes an ncf version that
//	                    does not beat popularity on validation      (false)
//	AWS_ENDPOINT_URL    LocalStack-compatible endpoint (moto_server) (unset = AWS)
//	AWS_LAMBDA_FUNCTION_NAME  set by Lambda; the metrics dimension  (local)
package config
