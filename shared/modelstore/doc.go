// Package modelstore fetches model checkpoints and keeps the one that serves.
//
//   - Store reads the files of the model store by key "<kind>/<version>/<file>":
//     Local (a directory, models/ by default) and S3 (a bucket and prefix) share
//     one contract test suite.
//   - Fetch downloads one version into a local directory, verifying every file's
//     size and sha256 against the manifest, and rejects path traversal.
//   - Pointer holds the active version of each kind: LocalPointer
//     (<root>/<kind>/ACTIVE) and DynamoPointer (one item per kind), both with a
//     conditional Promote so that an older version never replaces a newer one, and
//     a conditional Replace for reload to put a loadable version in place of an
//     active one that cannot load.
//   - Cache keeps the loaded model of one kind for a serving process: the first
//     request after each TTL checks the pointer on the request path (nothing runs
//     after a response, which Lambda's frozen sandboxes require), loads a new
//     version beside the old one, swaps atomically and closes the old one when its
//     last in-flight user is done.
//   - Kind is one model kind as its package defines it (ncf.Kind, classify.Kind):
//     load, close, the files serving skips and the check reload runs before a
//     promotion.
//     With nothing loadable it returns a *NoModelError (errors.Is ErrNoModel), which
//     the API maps to 503 with Retry-After.
package modelstore
