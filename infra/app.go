package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/contentml/mlbundle/infra/serving"
	"github.com/contentml/mlbundle/infra/storage"
	"github.com/contentml/mlbundle/infra/training"
)

// Stack names (CloudFormation stack names, not resource names: resources get generated
// names, so several copies of the app can live in one account under other stack names).
const (
	StorageStackName  = "MlbundleStorage"
	ServingStackName  = "MlbundleServing"
	TrainingStackName = "MlbundleTraining"
)

// logRetention is the retention of every log group the app creates.
const logRetention = awslogs.RetentionDays_ONE_MONTH

// Stacks are the app's stacks; Training is nil when the context says training=false.
type Stacks struct {
	Storage  *storage.Stack
	Serving  *serving.Stack
	Training *training.Stack
}

// NewStacks adds the stacks to app. They are environment agnostic: no account or region
// is looked up at synth time.
func NewStacks(app awscdk.App, cfg Config) Stacks {
	var s Stacks
	s.Storage = storage.NewStack(app, StorageStackName, &storage.StackProps{
		StackProps: awscdk.StackProps{Description: jsii.String("mlbundle: checkpoint bucket and DynamoDB tables")},
	})
	arch := awslambda.Architecture_X86_64()
	if cfg.Arch == "arm64" {
		arch = awslambda.Architecture_ARM_64()
	}
	s.Serving = serving.NewStack(app, ServingStackName, &serving.StackProps{
		StackProps:    awscdk.StackProps{Description: jsii.String("mlbundle: Lambda functions, HTTP API, reload trigger, alarms")},
		Bucket:        s.Storage.Bucket,
		ModelsPrefix:  storage.ModelsPrefix,
		Interactions:  s.Storage.Interactions,
		Popularity:    s.Storage.Popularity,
		Models:        s.Storage.Models,
		Availability:  s.Storage.Availability,
		Items:         s.Storage.Items,
		BuildDir:      cfg.BuildDir,
		Architecture:  arch,
		JWTIssuer:     cfg.JWTIssuer,
		JWTAudience:   cfg.JWTAudience,
		ServiceScope:  cfg.ServiceScope,
		CORSOrigins:   cfg.CORSOrigins,
		ThrottleRate:  cfg.ThrottleRate,
		ThrottleBurst: cfg.ThrottleBurst,
		AlarmEmail:    cfg.AlarmEmail,
		LogRetention:  logRetention,
	})
	if cfg.Training {
		s.Training = training.NewStack(app, TrainingStackName, &training.StackProps{
			StackProps:    awscdk.StackProps{Description: jsii.String("mlbundle: GPU training on AWS Batch")},
			Bucket:        s.Storage.Bucket,
			ModelsPrefix:  storage.ModelsPrefix,
			Interactions:  s.Storage.Interactions,
			ContextDir:    cfg.TrainingDir,
			Schedule:      cfg.RetrainSchedule,
			InstanceTypes: cfg.GPUInstances,
			MaxVCPUs:      cfg.MaxVCPUs,
			LogRetention:  logRetention,
		})
	}
	checkNag(app, s)
	return s
}
