package serving

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/contentml/mlbundle/shared/footprint"
)

// StackProps configures the serving stack. Bucket and tables come from the storage stack.
type StackProps struct {
	awscdk.StackProps
	Bucket       awss3.IBucket
	ModelsPrefix string // key prefix of the checkpoints, "models/"
	Interactions awsdynamodb.ITable
	Popularity   awsdynamodb.ITable
	Models       awsdynamodb.ITable // the active-model pointer table
	Availability awsdynamodb.ITable // the unavailable items
	Items        awsdynamodb.ITable // the items registered by text
	// BuildDir holds lambda/<function>/bootstrap and layer/lib/libonnxruntime.so.1, as
	// written by scripts/build-lambdas.sh.
	BuildDir     string
	Architecture awslambda.Architecture // must match the one the binaries were built for
	// JWTIssuer and JWTAudience are the defaults of the JwtIssuer and JwtAudience stack
	// parameters; empty leaves the parameter without a default (set it at deploy).
	JWTIssuer    string
	JWTAudience  []string
	ServiceScope string // scope that may read any user's data (SERVICE_SCOPE)
	// CORSOrigins are the origins whose pages may call the API with the user's own
	// token (CORS preflight answered by API Gateway); empty: no CORS.
	CORSOrigins   []string
	ThrottleRate  float64 // requests per second on the API stage
	ThrottleBurst float64
	AlarmEmail    string // optional subscriber of the alarm topic
	LogRetention  awslogs.RetentionDays
}

// Stack holds the functions, the API and the reload trigger.
type Stack struct {
	awscdk.Stack
	Functions map[string]awslambda.Function // by name, see FunctionNames
	Layer     awslambda.LayerVersion
	API       *API
	Reload    *ReloadTrigger
	Alarms    *Alarms
}

// NewStack creates the serving stack.
func NewStack(scope constructs.Construct, id string, props *StackProps) *Stack {
	stack := awscdk.NewStack(scope, &id, &props.StackProps)
	s := &Stack{Stack: stack, Functions: map[string]awslambda.Function{}}
	s.Layer = awslambda.NewLayerVersion(stack, jsii.String("OnnxRuntime"), &awslambda.LayerVersionProps{
		Code:                    awslambda.Code_FromAsset(jsii.String(filepath.Join(props.BuildDir, "layer")), nil),
		CompatibleRuntimes:      &[]awslambda.Runtime{awslambda.Runtime_PROVIDED_AL2023()},
		CompatibleArchitectures: &[]awslambda.Architecture{props.Architecture},
		Description:             jsii.String("ONNX Runtime shared library at " + LayerLibPath),
	})
	for _, f := range functions {
		s.Functions[f.name] = newFunction(stack, s.Layer, f, props)
	}
	s.Alarms = NewAlarms(stack, "Alarms", props.AlarmEmail)
	s.Reload = NewReloadTrigger(stack, "ReloadTrigger", s.Functions["reload"], props.Bucket, props.ModelsPrefix)
	SetHandlerLogGroup(stack, props.LogRetention)
	s.API = NewAPI(stack, "Api", s.Functions, props)
	for _, f := range functions {
		s.Alarms.Watch(s.Functions[f.name], f.name, f.p99)
	}
	s.Alarms.WatchQueue(s.Reload.DeadLetters, "reload-failures")
	s.Alarms.WatchAPI(s.API.HTTPAPI)
	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: s.API.Stage.Url()})
	return s
}

// newFunction creates one function with its log group, environment and grants.
func newFunction(stack awscdk.Stack, layer awslambda.ILayerVersion, f function, props *StackProps) awslambda.Function {
	id := strings.ToUpper(f.name[:1]) + f.name[1:]
	logs := awslogs.NewLogGroup(stack, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     props.LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	fp := &awslambda.FunctionProps{
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(filepath.Join(props.BuildDir, "lambda", f.name)), nil),
		Architecture: props.Architecture,
		MemorySize:   jsii.Number(f.memoryMB),
		Timeout:      awscdk.Duration_Millis(jsii.Number(float64(f.timeout.Milliseconds()))),
		LogGroup:     logs,
		Description:  jsii.String(fmt.Sprintf("mlbundle %s (functions/%s)", f.name, f.name)),
		Environment:  environment(f, props),
	}
	if f.onnx {
		fp.Layers = &[]awslambda.ILayerVersion{layer}
	}
	if f.checkpoints { // versions are fetched into /tmp: sized from shared/footprint
		fp.EphemeralStorageSize = awscdk.Size_Mebibytes(jsii.Number(float64(footprint.DiskMB(f.name))))
	}
	fn := awslambda.NewFunction(stack, jsii.String(id), fp)
	grant(fn, f, props)
	return fn
}

// environment is what the function's config reads (see the env names in README.md).
func environment(f function, props *StackProps) *map[string]*string {
	env := map[string]*string{"LOG_LEVEL": jsii.String("info")}
	if len(f.routes) > 0 {
		env["AUTH_MODE"] = jsii.String("jwt")
		env["SERVICE_SCOPE"] = jsii.String(props.ServiceScope)
	}
	if f.onnx {
		env["ONNXRUNTIME_LIB"] = jsii.String(LayerLibPath)
	}
	if f.checkpoints {
		env["MODELS_BUCKET"] = props.Bucket.BucketName()
		env["MODELS_PREFIX"] = jsii.String(props.ModelsPrefix)
		env["MODEL_TTL_SECONDS"] = jsii.String("30")
	}
	if f.pointer != none {
		env["ACTIVE_TABLE"] = props.Models.TableName()
	}
	if f.interactions != none {
		env["INTERACTIONS_TABLE"] = props.Interactions.TableName()
	}
	if f.popularity != none {
		env["POPULARITY_TABLE"] = props.Popularity.TableName()
	}
	if f.availability != none {
		env["AVAILABILITY_TABLE"] = props.Availability.TableName()
		env["AVAILABILITY_TTL_SECONDS"] = jsii.String("30")
	}
	if f.items != none {
		env["ITEMS_TABLE"] = props.Items.TableName()
		env["ITEMS_TTL_SECONDS"] = jsii.String("30")
	}
	return &env
}

// grant gives the function exactly the access its table row names.
func grant(fn awslambda.Function, f function, props *StackProps) {
	if f.checkpoints {
		props.Bucket.GrantRead(fn, jsii.String(props.ModelsPrefix+"*"))
	}
	grantTable(fn, props.Models, f.pointer)
	grantTable(fn, props.Interactions, f.interactions)
	grantTable(fn, props.Popularity, f.popularity)
	grantTable(fn, props.Availability, f.availability)
	grantTable(fn, props.Items, f.items)
	if f.forgets {
		// Deleting a user: Query the user's interaction keys (the items themselves go by
		// BatchWriteItem, a write already granted), DeleteItem the user's popularity
		// markers. Nothing else may delete.
		props.Interactions.Grant(fn, jsii.String("dynamodb:Query"))
		props.Popularity.Grant(fn, jsii.String("dynamodb:DeleteItem"))
	}
}

// Item-level DynamoDB actions the serving code uses: reads by key or query (never a
// scan), and writes that add or update items (deletes only where a function forgets).
var (
	readActions  = []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable"}
	writeActions = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:DescribeTable"}
)

func grantTable(fn awsiam.IGrantable, t awsdynamodb.ITable, a access) {
	var actions []string
	switch a {
	case none:
		return
	case read:
		actions = readActions
	case write:
		actions = writeActions
	case readWrite:
		actions = append(append([]string{}, readActions...), writeActions[:3]...)
	}
	t.Grant(fn, *jsii.Strings(actions...)...)
}
