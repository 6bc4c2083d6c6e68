// Package functions holds one directory per Lambda function (recommend, classify,
// ingest, models, reload), each a main package of one call into shared/bundle. Its
// test builds every bootstrap with scripts/build-lambdas.sh and runs each under the
// AWS Lambda Runtime Interface Emulator (scripts/rie.sh) on the events of events/.
package functions
