package main

import (
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestReloadNotification(t *testing.T) {
	// GIVEN the serving template
	f := getFixture(t)
	tpl := f.templates[ServingStackName]
	reload := logicalID(f.stacks.Serving.Functions["reload"])
	bucket := logicalID(f.stacks.Storage.Bucket)

	// THEN new manifest.json objects under models/ in the checkpoint bucket invoke reload
	check(t, "one notification", func() { tpl.ResourceCountIs(jsii.String("Custom::S3BucketNotifications"), jsii.Number(1)) })
	n := f.resources(ServingStackName, "Custom::S3BucketNotifications")
	for _, r := range n {
		p := props(r)
		if !refersTo(p["BucketName"], bucket) {
			t.Errorf("notification on %v, want the checkpoint bucket %s", p["BucketName"], bucket)
		}
		cfgs, _ := dig(p, "NotificationConfiguration", "LambdaFunctionConfigurations").([]any)
		if len(cfgs) != 1 {
			t.Fatalf("lambda notifications: %v", cfgs)
		}
		c := cfgs[0]
		if got := strs(dig(c, "Events")); len(got) != 1 || got[0] != "s3:ObjectCreated:*" {
			t.Errorf("events %v", got)
		}
		if !refersTo(dig(c, "LambdaFunctionArn"), reload) {
			t.Errorf("target %v, want reload %s", dig(c, "LambdaFunctionArn"), reload)
		}
		rules := map[string]string{}
		for _, r := range dig(c, "Filter", "Key", "FilterRules").([]any) {
			rules[fmt.Sprint(dig(r, "Name"))] = fmt.Sprint(dig(r, "Value"))
		}
		if rules["prefix"] != "models/" || rules["suffix"] != "manifest.json" || len(rules) != 2 {
			t.Errorf("filter %v, want prefix models/ and suffix manifest.json", rules)
		}
	}
	// AND S3 may invoke reload, from this bucket and account only
	check(t, "permission", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), map[string]any{
			"Principal":     "s3.amazonaws.com",
			"FunctionName":  map[string]any{"Fn::GetAtt": []any{reload, "Arn"}},
			"SourceAccount": map[string]any{"Ref": "AWS::AccountId"},
			"SourceArn":     assertions.Match_AnyValue(),
		})
	})
	// AND failed reloads are retried twice, then kept in an encrypted dead-letter queue
	dlq := logicalID(f.stacks.Serving.Reload.DeadLetters)
	check(t, "async config", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventInvokeConfig"), map[string]any{
			"FunctionName":         map[string]any{"Ref": reload},
			"MaximumRetryAttempts": 2,
			"DestinationConfig": map[string]any{"OnFailure": map[string]any{
				"Destination": map[string]any{"Fn::GetAtt": []any{dlq, "Arn"}},
			}},
		})
	})
	check(t, "dlq", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"SqsManagedSseEnabled": true, "MessageRetentionPeriod": 14 * 24 * 3600,
		})
	})
}

func TestServingAlarms(t *testing.T) {
	// GIVEN the alarms
	f := getFixture(t)
	alarms := f.resources(ServingStackName, "AWS::CloudWatch::Alarm")
	topic := logicalID(f.stacks.Serving.Alarms.Topic)
	type key struct{ fn, metric string }
	found := map[key]map[string]any{}
	for _, a := range alarms {
		p := props(a)
		// THEN every alarm notifies the alarm topic
		if !refersTo(p["AlarmActions"], topic) {
			t.Errorf("alarm %v does not notify %s", p["AlarmDescription"], topic)
		}
		for name, fn := range f.stacks.Serving.Functions {
			if refersTo(p["Dimensions"], logicalID(fn)) {
				found[key{name, fmt.Sprint(p["MetricName"])}] = p
			}
		}
	}
	// AND each function has an error, a throttle and a p99 duration alarm
	for name := range wantFunctions {
		for _, m := range []string{"Errors", "Throttles", "Duration"} {
			p, ok := found[key{name, m}]
			if !ok {
				t.Errorf("%s: no %s alarm", name, m)
				continue
			}
			if m == "Duration" && p["ExtendedStatistic"] != "p99" {
				t.Errorf("%s: duration alarm statistic %v, want p99", name, p["ExtendedStatistic"])
			}
		}
	}
	// AND the reload dead-letter queue and the API's 5xx are watched
	var dlq, api bool
	for _, a := range alarms {
		p := props(a)
		dlq = dlq || (p["MetricName"] == "ApproximateNumberOfMessagesVisible" && refersTo(p["Dimensions"], logicalID(f.stacks.Serving.Reload.DeadLetters)))
		api = api || p["MetricName"] == "5xx"
	}
	if !dlq || !api {
		t.Errorf("dead-letter alarm %v, API 5xx alarm %v", dlq, api)
	}
	if want := 3*len(wantFunctions) + 2; len(alarms) != want {
		t.Errorf("alarms: got %d, want %d", len(alarms), want)
	}
}

func TestLogRetention(t *testing.T) {
	// GIVEN every stack
	f := getFixture(t)
	for stack := range f.json {
		groups := f.resources(stack, "AWS::Logs::LogGroup")
		// THEN every log group has a retention
		for id, g := range groups {
			if props(g)["RetentionInDays"] == nil {
				t.Errorf("%s %s: no retention", stack, id)
			}
		}
		// AND every function, CDK's notification handler included, logs to one of them
		for id, fn := range f.resources(stack, "AWS::Lambda::Function") {
			lg := dig(props(fn), "LoggingConfig", "LogGroup")
			owned := false
			for gid := range groups {
				owned = owned || refersTo(lg, gid)
			}
			if !owned {
				t.Errorf("%s %s: logs to %v, not a log group with retention", stack, id, lg)
			}
		}
	}
}
