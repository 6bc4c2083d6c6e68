package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/contentml/mlbundle/shared/bundle"
	"github.com/contentml/mlbundle/shared/checkpoint"
)

// TestUnavailableCommand marks the items a known user's recommend and the popular list
// would start with, and checks that no answer holds them any more.
func TestUnavailableCommand(t *testing.T) {
	root := fixtureRoot(t, checkpoint.NCF)
	db := filepath.Join(t.TempDir(), "i.db")
	t.Setenv("MODELS_DIR", root)
	t.Setenv("INTERACTIONS_DB", db)
	ctx := context.Background()
	b := openBundle(t, root, "INTERACTIONS_DB", db, "AVAILABILITY_TTL_SECONDS", "0")
	recommend := func(user string) string {
		t.Helper()
		raw := []byte(`{"version":"2.0","rawPath":"/v1/users/` + user + `/recommendations","rawQueryString":"k=5",` +
			`"requestContext":{"http":{"method":"GET","path":"/v1/users/` + user + `/recommendations"}}}`)
		out, err := invoke(ctx, b, bundle.Recommend, raw)
		if err != nil {
			t.Fatal(err)
		}
		resp := out.(events.APIGatewayV2HTTPResponse)
		if resp.StatusCode != 200 {
			t.Fatalf("recommend %s: %d %s", user, resp.StatusCode, resp.Body)
		}
		return resp.Body
	}
	firstItem := func(body string) string {
		_, rest, _ := strings.Cut(body, `"item_id":"`)
		id, _, _ := strings.Cut(rest, `"`)
		return id
	}
	known, cold := firstItem(recommend("u1")), firstItem(recommend("newcomer"))
	var out bytes.Buffer
	if err := run(ctx, []string{"unavailable", "add", "--reason", "sold out", known, cold}, &out); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"u1", "newcomer"} {
		body := recommend(user)
		for _, id := range []string{known, cold} {
			if strings.Contains(body, `"item_id":"`+id+`"`) {
				t.Errorf("%s still gets unavailable %s: %s", user, id, body)
			}
		}
	}
	out.Reset()
	if err := run(ctx, []string{"unavailable", "list"}, &out); err != nil || !strings.Contains(out.String(), `"reason":"sold out"`) {
		t.Errorf("list: %q %v", out.String(), err)
	}
	if err := run(ctx, []string{"unavailable", "remove", known}, &out); err != nil {
		t.Fatal(err)
	}
	if firstItem(recommend("u1")) != known {
		t.Errorf("%s is available again but not served first", known)
	}
}
