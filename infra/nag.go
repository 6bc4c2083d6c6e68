package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// checkNag adds cdk-nag's AwsSolutions rules to every stack of app: each finding that is
// not suppressed becomes an error annotation at synth (the infra tests fail on any), and
// the suppressions below carry the reason each rule does not apply.
func checkNag(app awscdk.App, s Stacks) {
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Verbose: jsii.Bool(true), Reports: jsii.Bool(false)}), nil)
	suppressNag(s)
}

// nagWaiver is one rule that does not apply, and why; appliesTo, when set, narrows it to
// the findings whose detail matches the regular expression (an IAM action or resource).
type nagWaiver struct{ id, reason, appliesTo string }

func suppressions(waivers []nagWaiver) *[]*cdknag.NagPackSuppression {
	list := make([]*cdknag.NagPackSuppression, len(waivers))
	for i, w := range waivers {
		list[i] = &cdknag.NagPackSuppression{Id: jsii.String(w.id), Reason: jsii.String(w.reason)}
		if w.appliesTo != "" {
			list[i].AppliesTo = &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String("/" + w.appliesTo + "/")}}
		}
	}
	return &list
}

// waiveStack suppresses findings anywhere in stack; waivers here are always narrowed to
// one managed policy, action or resource pattern.
func waiveStack(stack awscdk.Stack, waivers ...nagWaiver) {
	cdknag.NagSuppressions_AddStackSuppressions(stack, suppressions(waivers), jsii.Bool(false))
}

// waiveResource suppresses findings on one construct (and its children).
func waiveResource(c constructs.IConstruct, waivers ...nagWaiver) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, suppressions(waivers), jsii.Bool(true))
}

// Reasons shared by several stacks.
const (
	basicExecutionReason = "AWSLambdaBasicExecutionRole only lets a function create its log stream and " +
		"write its logs (logs:CreateLogGroup, CreateLogStream, PutLogEvents); an inline copy would grant the same"
	checkpointReadReason = "read access to the checkpoint bucket's models/ prefix only (CDK grantRead: " +
		"s3:GetObject*, GetBucket*, List*); object keys are versioned checkpoint files unknown at deploy time"
)

// suppressNag records the rules each stack is exempt from, with the reason.
func suppressNag(s Stacks) {
	waiveResource(s.Storage.AccessLogs, nagWaiver{id: "AwsSolutions-S1",
		reason: "this is the access-log bucket of the checkpoint bucket; logging its own access would log the log writes"})
	waiveStack(s.Serving.Stack,
		nagWaiver{"AwsSolutions-IAM4", basicExecutionReason, `^Policy::.*AWSLambdaBasicExecutionRole$`},
		nagWaiver{"AwsSolutions-IAM5", checkpointReadReason, `^Action::s3:(GetObject|GetBucket|List)\*$`},
		nagWaiver{"AwsSolutions-IAM5", checkpointReadReason, `^Resource::.*/models/\*$`},
		nagWaiver{"AwsSolutions-IAM5", "Query on the popularity table's \"top\" index: index ARNs are " +
			"<table ARN>/index/<name>, and CDK grants them as index/*", `^Resource::.*Popularity.*/index/\*$`},
	)
	waiveResource(s.Serving.Reload.DeadLetters, nagWaiver{id: "AwsSolutions-SQS3",
		reason: "this queue is the dead-letter destination (OnFailure) of the reload function's asynchronous " +
			"invocations; it is alarmed on its first message, and a dead-letter queue of it would only move the problem"})
	cdknag.NagSuppressions_AddResourceSuppressionsByPath(s.Serving.Stack,
		jsii.String("/"+ServingStackName+"/Api/Http/GET--healthz/Resource"), suppressions([]nagWaiver{{
			id: "AwsSolutions-APIG4", reason: "GET /healthz is the public liveness probe by design: it answers " +
				`{"status":"ok"} and reads nothing; every other route has the JWT authorizer (tested in api_test.go)`}}),
		jsii.Bool(false))
	if s.Training == nil {
		return
	}
	waiveStack(s.Training.Stack,
		nagWaiver{"AwsSolutions-IAM4", "the instance role AWS Batch's ECS container instances need to join " +
			"the cluster; AWS keeps it in step with the ECS agent", `^Policy::.*AmazonEC2ContainerServiceforEC2Role$`},
		nagWaiver{"AwsSolutions-IAM5", "training reads the data/ prefix and writes checkpoints under models/ " +
			"(CDK grantRead/grantPut on those prefixes); keys are versioned files unknown at deploy time",
			`^(Action::s3:(GetObject|GetBucket|List|Abort|PutObject|DeleteObject)\*|Resource::.*/(data|models)/\*)$`},
	)
	cdknag.NagSuppressions_AddResourceSuppressionsByPath(s.Training.Stack,
		jsii.String("/"+TrainingStackName+"/Container/ExecutionRole/DefaultPolicy/Resource"), suppressions([]nagWaiver{{
			id: "AwsSolutions-IAM5", appliesTo: `^Resource::\*$`, reason: "the Batch execution role pulls the " +
				"training image: ecr:GetAuthorizationToken exists only on resource *"}}),
		jsii.Bool(false))
	cdknag.NagSuppressions_AddResourceSuppressionsByPath(s.Training.Stack,
		jsii.String("/"+TrainingStackName+"/Vpc/Resource"), suppressions([]nagWaiver{{
			id: "AwsSolutions-VPC7", reason: "the VPC only hosts the Batch training instances, which accept no " +
				"inbound traffic and reach S3, ECR and DynamoDB; flow logs would record only those calls, " +
				"which CloudTrail and S3 access logs already record"}}),
		jsii.Bool(false))
}
