package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// statements returns a policy document's statements.
func statements(doc any) []map[string]any {
	var out []map[string]any
	list, ok := dig(doc, "Statement").([]any)
	if !ok {
		return out
	}
	for _, s := range list {
		if m, ok := s.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// strs returns a statement field (string or list) as strings; other values JSON-encoded.
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, strs(e)...)
		}
		return out
	case nil:
		return nil
	default:
		return []string{fmt.Sprint(x)}
	}
}

// policyStatements lists every identity-policy statement of a stack (policies and
// inline role policies), by the logical id of the role that holds it.
func (f *fixture) policyStatements(stack string) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, p := range f.resources(stack, "AWS::IAM::Policy") {
		roles, _ := dig(p, "Properties", "Roles").([]any)
		for _, role := range roles {
			id := fmt.Sprint(dig(role, "Ref"))
			out[id] = append(out[id], statements(dig(p, "Properties", "PolicyDocument"))...)
		}
	}
	for id, r := range f.resources(stack, "AWS::IAM::Role") {
		inline, _ := props(r)["Policies"].([]any)
		for _, p := range inline {
			out[id] = append(out[id], statements(dig(p, "PolicyDocument"))...)
		}
	}
	return out
}

// grants summarises what a role's statements allow on one resource (by logical id).
type grants struct {
	read, write bool
	resources   []string // JSON of each resource entry that names the resource
}

func grantsOn(stmts []map[string]any, id string) grants {
	var g grants
	for _, s := range stmts {
		res, _ := s["Resource"].([]any)
		if res == nil {
			res = []any{s["Resource"]}
		}
		for _, r := range res {
			if !refersTo(r, id) {
				continue
			}
			g.resources = append(g.resources, jsonString(r))
			for _, a := range strs(s["Action"]) {
				if isWrite(a) {
					g.write = true
				} else if strings.Contains(a, "Get") || strings.Contains(a, "Query") || strings.Contains(a, "Scan") {
					g.read = true
				}
			}
		}
	}
	return g
}

func jsonString(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}

// noResourceActions are actions that IAM cannot scope to a resource, so "*" is the
// narrowest resource there is for them.
var noResourceActions = map[string]bool{
	"ecr:GetAuthorizationToken":  true,
	"xray:PutTraceSegments":      true,
	"xray:PutTelemetryRecords":   true,
	"cloudwatch:PutMetricData":   true,
	"ec2:DescribeSecurityGroups": true,
}

func TestIAMNoWildcards(t *testing.T) {
	// GIVEN every stack's policies
	f := getFixture(t)
	for stack := range f.json {
		for role, stmts := range f.policyStatements(stack) {
			for _, s := range stmts {
				// THEN no statement allows every action, or every action of a service
				for _, a := range strs(s["Action"]) {
					if a == "*" || strings.HasSuffix(a, ":*") {
						t.Errorf("%s %s: wildcard action %q", stack, role, a)
					}
				}
				// AND "*" resources only go with actions that take no resource
				for _, r := range strs(s["Resource"]) {
					if r != "*" {
						continue
					}
					for _, a := range strs(s["Action"]) {
						if !noResourceActions[a] {
							t.Errorf("%s %s: action %q on resource \"*\"", stack, role, a)
						}
					}
				}
			}
		}
	}
}

// isWrite reports whether an IAM action (possibly with a trailing wildcard) can change
// data in S3 or DynamoDB.
func isWrite(action string) bool {
	svc, name, _ := strings.Cut(action, ":")
	name = strings.TrimSuffix(name, "*")
	prefixes := map[string][]string{
		"s3":       {"Put", "Delete", "Abort", "Restore", "Replicate", "Create"},
		"dynamodb": {"Put", "Update", "Delete", "BatchWrite", "PartiQLInsert", "PartiQLUpdate", "PartiQLDelete", "Create", "Import", "Restore"},
	}
	for _, p := range prefixes[svc] {
		if name == "" || strings.HasPrefix(name, p) || strings.HasPrefix(p, name) {
			return true
		}
	}
	return false
}

func TestIAMIsWrite(t *testing.T) {
	tests := []struct {
		action string
		want   bool
	}{
		{"s3:GetObject*", false}, {"s3:List*", false}, {"s3:PutObject", true}, {"s3:DeleteObject*", true},
		{"s3:Abort*", true}, {"s3:*", true}, {"s3:P*", true}, {"dynamodb:Query", false},
		{"dynamodb:BatchWriteItem", true}, {"dynamodb:UpdateItem", true}, {"dynamodb:ConditionCheckItem", false},
	}
	for _, tc := range tests {
		if got := isWrite(tc.action); got != tc.want {
			t.Errorf("isWrite(%q) = %v, want %v", tc.action, got, tc.want)
		}
	}
}

func TestIAMServingLeastPrivilege(t *testing.T) {
	// GIVEN each function's role and what it should do with each storage resource
	f := getFixture(t)
	type rw struct{ read, write bool }
	r, w, rwx, no := rw{true, false}, rw{false, true}, rw{true, true}, rw{}
	want := map[string]struct{ bucket, pointer, interactions, popularity, availability, items rw }{
		"recommend": {r, r, r, r, r, rwx}, // operators change availability; recommend registers items by text
		"classify":  {r, r, no, no, no, no},
		"ingest":    {no, no, rwx, w, no, no}, // reads a user's keys to delete them
		"models":    {r, r, no, no, no, no},
		"reload":    {r, rwx, no, no, no, no},
	}
	stmts := f.policyStatements(ServingStackName)
	st := f.stacks.Storage
	for name, wantRW := range want {
		t.Run(name, func(t *testing.T) {
			// WHEN we collect the statements of its role
			role := stmts[logicalID(f.stacks.Serving.Functions[name].Role())]
			for res, wantAccess := range map[string]rw{
				logicalID(st.Bucket): wantRW.bucket, logicalID(st.Models): wantRW.pointer,
				logicalID(st.Interactions): wantRW.interactions, logicalID(st.Popularity): wantRW.popularity,
				logicalID(st.Availability): wantRW.availability, logicalID(st.Items): wantRW.items,
			} {
				g := grantsOn(role, res)
				// THEN it reads and writes exactly what the function needs
				if (rw{g.read, g.write}) != wantAccess {
					t.Errorf("%s: read %v write %v, want %+v (%v)", res, g.read, g.write, wantAccess, g.resources)
				}
			}
			// AND it never writes to S3, and reads checkpoints under models/ only
			for _, s := range role {
				for _, a := range strs(s["Action"]) {
					if strings.HasPrefix(a, "s3:") && isWrite(a) {
						t.Errorf("serving role may write checkpoints: %s", a)
					}
				}
			}
			for _, res := range grantsOn(role, logicalID(st.Bucket)).resources {
				if strings.Contains(res, "/") && !strings.Contains(res, `"/models/*"`) {
					t.Errorf("bucket object access outside models/: %s", res)
				}
			}
		})
	}
	// AND recommend may query the popularity table's "top" index
	g := grantsOn(stmts[logicalID(f.stacks.Serving.Functions["recommend"].Role())], logicalID(st.Popularity))
	if !strings.Contains(strings.Join(g.resources, " "), "/index/*") {
		t.Errorf("recommend cannot query the popularity index: %v", g.resources)
	}
}

func TestIAMOnlyUserDeletionDeletes(t *testing.T) {
	// GIVEN every serving role
	f := getFixture(t)
	st := f.stacks.Storage
	stmts := f.policyStatements(ServingStackName)
	ingest := logicalID(f.stacks.Serving.Functions["ingest"].Role())
	var found bool
	for role, list := range stmts {
		for _, s := range list {
			for _, a := range strs(s["Action"]) {
				if !strings.HasPrefix(a, "dynamodb:Delete") && !strings.HasPrefix(a, "dynamodb:PartiQLDelete") {
					continue
				}
				// THEN only the ingest function (which serves the deletion route) may
				// delete, only DeleteItem, and only popularity-table records
				onPopularity := refersTo(s["Resource"], logicalID(st.Popularity)) &&
					!refersTo(s["Resource"], logicalID(st.Interactions)) && !refersTo(s["Resource"], logicalID(st.Models))
				if role != ingest || a != "dynamodb:DeleteItem" || !onPopularity {
					t.Errorf("%s may %s on %s", role, a, jsonString(s["Resource"]))
				}
				found = true
			}
		}
	}
	if !found {
		t.Error("no role may delete: user deletion cannot take users out of popularity")
	}
	// AND ingest may query the interactions table itself (the user's keys), not an index
	g := grantsOn(stmts[ingest], logicalID(st.Interactions))
	if !g.read || strings.Contains(strings.Join(g.resources, " "), "/index/") {
		t.Errorf("ingest on interactions: read %v, resources %v", g.read, g.resources)
	}
}

func TestIAMTrainingJobRole(t *testing.T) {
	// GIVEN the training job's role
	f := getFixture(t)
	st := f.stacks.Storage
	role := f.policyStatements(TrainingStackName)[logicalID(f.stacks.Training.JobRole)]
	if len(role) == 0 {
		t.Fatal("the job role has no statements")
	}
	// THEN it reads the interactions table and never writes any table
	if g := grantsOn(role, logicalID(st.Interactions)); !g.read || g.write {
		t.Errorf("interactions: read %v write %v, want read only", g.read, g.write)
	}
	for _, s := range role {
		for _, a := range strs(s["Action"]) {
			if strings.HasPrefix(a, "dynamodb:") && isWrite(a) {
				t.Errorf("job role may write DynamoDB: %s on %v", a, s["Resource"])
			}
		}
	}
	// AND it writes objects only under models/, and reads only models/ and data/
	for _, s := range role {
		for _, a := range strs(s["Action"]) {
			if !strings.HasPrefix(a, "s3:") {
				continue
			}
			res, _ := s["Resource"].([]any)
			if res == nil {
				res = []any{s["Resource"]}
			}
			for _, r := range res {
				j := jsonString(r)
				object := strings.Contains(j, `"/`)
				switch {
				case isWrite(a) && !strings.Contains(j, `"/models/*"`):
					t.Errorf("job role writes outside models/: %s on %s", a, j)
				case object && !strings.Contains(j, `"/models/*"`) && !strings.Contains(j, `"/data/*"`):
					t.Errorf("job role reads outside models/ and data/: %s on %s", a, j)
				}
			}
		}
	}
	if g := grantsOn(role, logicalID(st.Bucket)); !g.write {
		t.Error("job role cannot publish checkpoints")
	}
	for _, table := range []string{logicalID(st.Popularity), logicalID(st.Models)} {
		if g := grantsOn(role, table); g.read || g.write {
			t.Errorf("job role has access to %s: %v", table, g.resources)
		}
	}
}
