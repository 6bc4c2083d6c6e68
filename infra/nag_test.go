package main

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// TestNoUnsuppressedNagFindings: cdk-nag's AwsSolutions rules find nothing in any stack
// that is not suppressed with a reason (infra/nag.go).
func TestNoUnsuppressedNagFindings(t *testing.T) {
	// GIVEN every stack of the app, with the AwsSolutions checks applied
	f := getFixture(t)
	for _, st := range []awscdk.Stack{f.stacks.Storage.Stack, f.stacks.Serving.Stack, f.stacks.Training.Stack} {
		t.Run(*st.StackName(), func(t *testing.T) {
			// WHEN we collect the errors and warnings cdk-nag left on it
			a := assertions.Annotations_FromStack(st)
			match := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			found := append(*a.FindError(jsii.String("*"), match), *a.FindWarning(jsii.String("*"), match)...)
			// THEN there are none
			for _, m := range found {
				text := strings.SplitN(strings.TrimSpace(fmtData(m.Entry.Data)), "\n", 2)[0]
				t.Errorf("%s: %s", *m.Id, text)
			}
		})
	}
}

func fmtData(v any) string {
	if s, ok := v.(*string); ok && s != nil {
		return *s
	}
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}
