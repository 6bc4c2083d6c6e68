package main

import (
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

// policyStatements lists every identity-policy statement of a stack, by the logical ids
// of the roles the policy is attached to.
func (f *fixture) policyStatements(stack string) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, p := range f.resources(stack, "AWS::IAM::Policy") {
		for _, role := range strs(dig(p, "Properties", "Roles")) {
			out[role] = append(out[role], statements(dig(p, "Properties", "PolicyDocument"))...)
		}
	}
	for id, r := range f.resources(stack, "AWS::IAM::Role") {
		if inline, ok := props(r)["Policies"].([]any); ok {
			for _, p := range inline {
				out[fmt.Sprintf(`{"Ref":"%s"}`, id)] = append(out[fmt.Sprintf(`{"Ref":"%s"}`, id)], statements(dig(p, "PolicyDocument"))...)
			}
		}
	}
	return out
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
