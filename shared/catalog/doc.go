// Package catalog answers the operational routes: GET /v1/models (the active
// version of each model kind with the metrics and data summary from its manifest)
// and GET /healthz (liveness).
//
// It reads the active pointers and manifests directly from the model store, not
// from the serving caches of other functions, so it reports what is promoted even
// in a process that loads no model. Answers are cached for the model TTL.
package catalog
