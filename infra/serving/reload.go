package serving

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ManifestSuffix is the key suffix that triggers a reload: manifest.json is written last,
// so its arrival means the checkpoint version is complete (docs/checkpoint.md).
const ManifestSuffix = "manifest.json"

// ReloadTrigger sends each new models/*/manifest.json straight from S3 to the reload
// function (an asynchronous invoke: Lambda retries twice) and keeps the events that still
// fail in a dead-letter queue for inspection and replay.
type ReloadTrigger struct {
	constructs.Construct
	DeadLetters awssqs.Queue
}

// NewReloadTrigger wires the bucket notification for prefix/…/manifest.json to reload.
//
// The bucket is referenced by its attributes in this stack, so the notification (a
// custom resource that edits the bucket's notification configuration without replacing
// what else is there) lives here and the storage stack does not depend on this one.
func NewReloadTrigger(scope constructs.Construct, id string, reload awslambda.Function, bucket awss3.IBucket, prefix string) *ReloadTrigger {
	c := constructs.NewConstruct(scope, &id)
	t := &ReloadTrigger{Construct: c}
	t.DeadLetters = awssqs.NewQueue(c, jsii.String("DeadLetters"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	reload.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
		RetryAttempts: jsii.Number(2),
		MaxEventAge:   awscdk.Duration_Hours(jsii.Number(6)),
		OnFailure:     awslambdadestinations.NewSqsDestination(t.DeadLetters),
	})
	ref := awss3.Bucket_FromBucketAttributes(c, jsii.String("Bucket"), &awss3.BucketAttributes{
		BucketArn:  bucket.BucketArn(),
		BucketName: bucket.BucketName(),
	})
	ref.AddEventNotification(awss3.EventType_OBJECT_CREATED, awss3notifications.NewLambdaDestination(reload),
		&awss3.NotificationKeyFilter{Prefix: jsii.String(prefix), Suffix: jsii.String(ManifestSuffix)})
	return t
}

// SetHandlerLogGroup sends the logs of CDK's notification custom-resource function (a
// stack-wide singleton it adds for AddEventNotification) to a log group with retention,
// like every other function of the stack. It returns false if there is no such function.
func SetHandlerLogGroup(stack awscdk.Stack, retention awslogs.RetentionDays) bool {
	found := false
	for _, child := range *stack.Node().Children() {
		if !strings.HasPrefix(*child.Node().Id(), "BucketNotificationsHandler") {
			continue
		}
		fn, ok := child.Node().TryFindChild(jsii.String("Resource")).(awscdk.CfnResource)
		if !ok || *fn.CfnResourceType() != "AWS::Lambda::Function" {
			continue
		}
		logs := awslogs.NewLogGroup(stack, jsii.String(*child.Node().Id()+"Logs"), &awslogs.LogGroupProps{
			Retention:     retention,
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		fn.AddPropertyOverride(jsii.String("LoggingConfig.LogGroup"), logs.LogGroupName())
		found = true
	}
	return found
}
