package serving

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2authorizers"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigatewayv2integrations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// accessLogFormat is one JSON line per request in the API's access log.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",` +
	`"time":"$context.requestTime","method":"$context.httpMethod","route":"$context.routeKey",` +
	`"status":"$context.status","latency":"$context.responseLatency",` +
	`"integrationError":"$context.integrationErrorMessage","sub":"$context.authorizer.claims.sub"}`

// API is the HTTP API in front of the functions.
type API struct {
	constructs.Construct
	HTTPAPI awsapigatewayv2.HttpApi
	Stage   awsapigatewayv2.HttpStage
	// Issuer and Audience are the JwtIssuer and JwtAudience stack parameters.
	Issuer, Audience awscdk.CfnParameter
}

// NewAPI creates the HTTP API: every route of the function table, a JWT authorizer on all
// of them but the public ones, a throttled $default stage and an access log.
func NewAPI(scope constructs.Construct, id string, fns map[string]awslambda.Function, props *StackProps) *API {
	c := constructs.NewConstruct(scope, &id)
	a := &API{Construct: c}
	stack := awscdk.Stack_Of(scope)
	a.Issuer = awscdk.NewCfnParameter(stack, jsii.String("JwtIssuer"), &awscdk.CfnParameterProps{
		Type:        jsii.String("String"),
		Description: jsii.String("Issuer URL of the JWTs the API accepts (e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>)"),
		Default:     optional(props.JWTIssuer),
	})
	a.Audience = awscdk.NewCfnParameter(stack, jsii.String("JwtAudience"), &awscdk.CfnParameterProps{
		Type:        jsii.String("CommaDelimitedList"),
		Description: jsii.String("Accepted audiences (aud or client_id claims), comma separated"),
		Default:     optional(strings.Join(props.JWTAudience, ",")),
	})
	authorizer := awsapigatewayv2authorizers.NewHttpJwtAuthorizer(jsii.String("Jwt"), a.Issuer.ValueAsString(),
		&awsapigatewayv2authorizers.HttpJwtAuthorizerProps{JwtAudience: a.Audience.ValueAsList()})
	a.HTTPAPI = awsapigatewayv2.NewHttpApi(c, jsii.String("Http"), &awsapigatewayv2.HttpApiProps{
		Description:        jsii.String("mlbundle: recommend and classify"),
		CreateDefaultStage: jsii.Bool(false),
		DefaultAuthorizer:  authorizer,
		CorsPreflight:      cors(props.CORSOrigins),
	})
	a.addRoutes(fns)
	a.Stage = newStage(c, a.HTTPAPI, props)
	return a
}

// addRoutes adds every route of the function table; public ones skip the authorizer.
func (a *API) addRoutes(fns map[string]awslambda.Function) {
	for _, f := range functions {
		if len(f.routes) == 0 {
			continue
		}
		integration := awsapigatewayv2integrations.NewHttpLambdaIntegration(jsii.String(f.name), fns[f.name], nil)
		for _, r := range f.routes {
			opts := &awsapigatewayv2.AddRoutesOptions{
				Path:        jsii.String(r.path),
				Methods:     &[]awsapigatewayv2.HttpMethod{awsapigatewayv2.HttpMethod(r.method)},
				Integration: integration,
			}
			if r.public {
				opts.Authorizer = awsapigatewayv2.NewHttpNoneAuthorizer()
			}
			a.HTTPAPI.AddRoutes(opts)
		}
	}
}

// newStage is the throttled $default stage, writing a JSON access log.
func newStage(scope constructs.Construct, api awsapigatewayv2.HttpApi, props *StackProps) awsapigatewayv2.HttpStage {
	stage := awsapigatewayv2.NewHttpStage(scope, jsii.String("Default"), &awsapigatewayv2.HttpStageProps{
		HttpApi:    api,
		StageName:  jsii.String("$default"),
		AutoDeploy: jsii.Bool(true),
		Throttle: &awsapigatewayv2.ThrottleSettings{
			RateLimit:  jsii.Number(props.ThrottleRate),
			BurstLimit: jsii.Number(props.ThrottleBurst),
		},
	})
	accessLogs := awslogs.NewLogGroup(scope, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention:     props.LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	cfn := stage.Node().DefaultChild().(awsapigatewayv2.CfnStage)
	cfn.SetAccessLogSettings(&awsapigatewayv2.CfnStage_AccessLogSettingsProperty{
		DestinationArn: accessLogs.LogGroupArn(),
		Format:         jsii.String(accessLogFormat),
	})
	return stage
}

// CORSMethods and CORSHeaders are what a browser page may use: the methods of the routes
// it calls with the user's own token (recommend, similar items, ingest, deletion) and
// the headers it sends. HTTP APIs configure CORS for the whole API, not per route.
var (
	CORSMethods = []awsapigatewayv2.CorsHttpMethod{awsapigatewayv2.CorsHttpMethod_GET,
		awsapigatewayv2.CorsHttpMethod_POST, awsapigatewayv2.CorsHttpMethod_DELETE}
	CORSHeaders = []string{"authorization", "content-type", "x-request-id"}
)

// cors is the API's CORS preflight configuration (nil without origins): API Gateway
// answers OPTIONS itself, before the authorizer, and adds the CORS headers to answers.
// No credentials: the token travels in the Authorization header, not in a cookie.
func cors(origins []string) *awsapigatewayv2.CorsPreflightOptions {
	if len(origins) == 0 {
		return nil
	}
	return &awsapigatewayv2.CorsPreflightOptions{
		AllowOrigins:  jsii.Strings(origins...),
		AllowMethods:  &CORSMethods,
		AllowHeaders:  jsii.Strings(CORSHeaders...),
		ExposeHeaders: jsii.Strings("x-request-id", "retry-after"),
		MaxAge:        awscdk.Duration_Hours(jsii.Number(1)),
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return jsii.String(s)
}
