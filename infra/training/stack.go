package training

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsbatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecrassets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DataPrefix is the bucket prefix the job may read training data from (labelled texts).
const DataPrefix = "data/"

// StackProps configures the training stack.
type StackProps struct {
	awscdk.StackProps
	Bucket       awss3.IBucket
	ModelsPrefix string // where checkpoints are published, "models/"
	Interactions awsdynamodb.ITable
	// ContextDir is the docker build context holding the Dockerfile (training/).
	ContextDir    string
	Schedule      string   // EventBridge expression for the periodic recommender retraining
	InstanceTypes []string // GPU instance types, e.g. g4dn.xlarge
	MaxVCPUs      float64
	LogRetention  awslogs.RetentionDays
}

// Stack holds the Batch resources and the schedule.
type Stack struct {
	awscdk.Stack
	Queue         awsbatch.JobQueue
	Spot          awsbatch.ManagedEc2EcsComputeEnvironment
	OnDemand      awsbatch.ManagedEc2EcsComputeEnvironment
	JobDefinition awsbatch.EcsJobDefinition
	JobRole       awsiam.Role
	Schedule      awsevents.Rule
}

// NewStack creates the training stack.
func NewStack(scope constructs.Construct, id string, props *StackProps) *Stack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	s := &Stack{Stack: stack}
	vpc := newVPC(stack)
	s.Spot = computeEnvironment(stack, "GpuSpot", vpc, true, props)
	s.OnDemand = computeEnvironment(stack, "GpuOnDemand", vpc, false, props)
	s.Queue = newQueue(stack, s.Spot, s.OnDemand)
	s.JobRole = jobRole(stack, props)
	s.JobDefinition = jobDefinition(stack, s.JobRole, props)
	s.Schedule = awsevents.NewRule(stack, jsii.String("Retrain"), &awsevents.RuleProps{
		Description: jsii.String("periodic retraining of the recommender (JOB=ncf on the interactions table)"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(props.Schedule)),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewBatchJob(
			s.Queue.JobQueueArn(), s.Queue, s.JobDefinition.JobDefinitionArn(), s.JobDefinition,
			&awseventstargets.BatchJobProps{JobName: jsii.String("mlbundle-retrain-ncf"), RetryAttempts: jsii.Number(2)},
		)},
	})
	awscdk.NewCfnOutput(stack, jsii.String("JobQueue"), &awscdk.CfnOutputProps{Value: s.Queue.JobQueueArn()})
	awscdk.NewCfnOutput(stack, jsii.String("JobDefinition"), &awscdk.CfnOutputProps{Value: s.JobDefinition.JobDefinitionArn()})
	return s
}

// newVPC has public subnets only (no NAT gateway to pay for; the instances take no inbound
// traffic) and gateway endpoints that keep S3 and DynamoDB traffic inside AWS.
func newVPC(stack awscdk.Stack) awsec2.Vpc {
	return awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(24),
		}},
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"S3":       {Service: awsec2.GatewayVpcEndpointAwsService_S3()},
			"DynamoDB": {Service: awsec2.GatewayVpcEndpointAwsService_DYNAMODB()},
		},
	})
}

// newQueue tries the spot environment first and the on-demand one second; a job that
// waits 6 hours for capacity that never comes is cancelled.
func newQueue(stack awscdk.Stack, spot, onDemand awsbatch.IComputeEnvironment) awsbatch.JobQueue {
	return awsbatch.NewJobQueue(stack, jsii.String("Queue"), &awsbatch.JobQueueProps{
		ComputeEnvironments: &[]*awsbatch.OrderedComputeEnvironment{
			{ComputeEnvironment: spot, Order: jsii.Number(1)},
			{ComputeEnvironment: onDemand, Order: jsii.Number(2)},
		},
		JobStateTimeLimitActions: &[]*awsbatch.JobStateTimeLimitAction{{
			Action:  awsbatch.JobStateTimeLimitActionsAction_CANCEL,
			State:   awsbatch.JobStateTimeLimitActionsState_RUNNABLE,
			Reason:  awsbatch.JobStateTimeLimitActionsReason_INSUFFICIENT_INSTANCE_CAPACITY,
			MaxTime: awscdk.Duration_Hours(jsii.Number(6)),
		}},
	})
}

// computeEnvironment is a GPU environment that scales to zero between jobs.
func computeEnvironment(stack awscdk.Stack, id string, vpc awsec2.IVpc, spot bool, props *StackProps) awsbatch.ManagedEc2EcsComputeEnvironment {
	types := make([]awsec2.InstanceType, len(props.InstanceTypes))
	for i, t := range props.InstanceTypes {
		types[i] = awsec2.NewInstanceType(jsii.String(t))
	}
	strategy := awsbatch.AllocationStrategy_BEST_FIT_PROGRESSIVE
	if spot {
		strategy = awsbatch.AllocationStrategy_SPOT_PRICE_CAPACITY_OPTIMIZED
	}
	return awsbatch.NewManagedEc2EcsComputeEnvironment(stack, jsii.String(id), &awsbatch.ManagedEc2EcsComputeEnvironmentProps{
		Vpc:                       vpc,
		VpcSubnets:                &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		Spot:                      jsii.Bool(spot),
		AllocationStrategy:        strategy,
		InstanceTypes:             &types,
		UseOptimalInstanceClasses: jsii.Bool(false),
		MinvCpus:                  jsii.Number(0),
		MaxvCpus:                  jsii.Number(props.MaxVCPUs),
		Images:                    &[]*awsbatch.EcsMachineImage{{ImageType: awsbatch.EcsMachineImageType_ECS_AL2023_NVIDIA}},
	})
}

// jobRole may read the interactions table and data/, and write checkpoints under models/.
func jobRole(stack awscdk.Stack, props *StackProps) awsiam.Role {
	role := awsiam.NewRole(stack, jsii.String("JobRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("ecs-tasks.amazonaws.com"), nil),
		Description: jsii.String("mlbundle training job: reads interactions and data/, writes models/"),
	})
	props.Interactions.GrantReadData(role)
	props.Bucket.GrantRead(role, jsii.String(DataPrefix+"*"))
	props.Bucket.GrantRead(role, jsii.String(props.ModelsPrefix+"*"))
	props.Bucket.GrantPut(role, jsii.String(props.ModelsPrefix+"*"))
	return role
}

// jobDefinition runs the training image (training/mlbundle_training/entrypoint.py) on one
// GPU. Its environment selects the default job, the recommender on the interactions table,
// which the schedule submits as is; a job submitted by hand may override JOB (classifier,
// all) and the data URIs.
func jobDefinition(stack awscdk.Stack, role awsiam.IRole, props *StackProps) awsbatch.EcsJobDefinition {
	logs := awslogs.NewLogGroup(stack, jsii.String("JobLogs"), &awslogs.LogGroupProps{
		Retention:     props.LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	image := awsecs.ContainerImage_FromAsset(jsii.String(props.ContextDir), &awsecs.AssetImageProps{
		Platform: awsecrassets.Platform_LINUX_AMD64(),
		Exclude:  jsii.Strings(".benchmarks", "**/__pycache__", "**/*.pyc", ".pytest_cache", "bench/results"),
	})
	container := awsbatch.NewEcsEc2ContainerDefinition(stack, jsii.String("Container"), &awsbatch.EcsEc2ContainerDefinitionProps{
		Image:   image,
		Cpu:     jsii.Number(4),
		Memory:  awscdk.Size_Gibibytes(jsii.Number(14)),
		Gpu:     jsii.Number(1),
		JobRole: role,
		Logging: awsecs.LogDriver_AwsLogs(&awsecs.AwsLogDriverProps{StreamPrefix: jsii.String("training"), LogGroup: logs}),
		Environment: &map[string]*string{
			"JOB":        jsii.String("ncf"),
			"DATA_URI":   awscdk.Fn_Join(jsii.String(""), jsii.Strings("dynamodb://", *props.Interactions.TableName())),
			"OUTPUT_URI": awscdk.Fn_Join(jsii.String(""), jsii.Strings("s3://", *props.Bucket.BucketName(), "/", props.ModelsPrefix)),
			// used when a job is submitted by hand with JOB=classifier or JOB=all
			"CLASSIFIER_DATA_URI": awscdk.Fn_Join(jsii.String(""), jsii.Strings("s3://", *props.Bucket.BucketName(), "/", DataPrefix, "classifier/")),
		},
	})
	return awsbatch.NewEcsJobDefinition(stack, jsii.String("Job"), &awsbatch.EcsJobDefinitionProps{
		Container:     container,
		Timeout:       awscdk.Duration_Hours(jsii.Number(4)),
		RetryAttempts: jsii.Number(3),
		RetryStrategies: &[]awsbatch.RetryStrategy{
			awsbatch.RetryStrategy_Of(awsbatch.Action_RETRY, awsbatch.Reason_SPOT_INSTANCE_RECLAIMED()),
			awsbatch.RetryStrategy_Of(awsbatch.Action_EXIT, awsbatch.Reason_NON_ZERO_EXIT_CODE()),
		},
	})
}
