// Command recommend is the Lambda function behind GET
// /v1/users/{user_id}/recommendations and the other recommend routes (see
// shared/recommend). It loads the active NCF checkpoint at init.
//
// Every function is built by shared/bundle from the environment (docs/infra.md).
package main

import "github.com/contentml/mlbundle/shared/bundle"

func main() { bundle.Main(bundle.Recommend) }
