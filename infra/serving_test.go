package main

import (
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/contentml/mlbundle/infra/serving"
)

// wantFunctions is the sizing and wiring each function must have (independent of the
// stack's own table, so that a change there has to be made here too).
var wantFunctions = map[string]struct {
	memory, timeout float64
	onnx            bool
	env             []string
}{
	"recommend": {1536, 10, true, []string{"MODELS_BUCKET", "MODELS_PREFIX", "ACTIVE_TABLE", "INTERACTIONS_TABLE", "POPULARITY_TABLE", "AVAILABILITY_TABLE", "AVAILABILITY_TTL_SECONDS", "ITEMS_TABLE", "ITEMS_TTL_SECONDS", "ONNXRUNTIME_LIB", "AUTH_MODE", "SERVICE_SCOPE", "MODEL_TTL_SECONDS", "LOG_LEVEL"}},
	"classify":  {2048, 15, true, []string{"MODELS_BUCKET", "MODELS_PREFIX", "ACTIVE_TABLE", "ONNXRUNTIME_LIB", "AUTH_MODE", "SERVICE_SCOPE", "MODEL_TTL_SECONDS", "LOG_LEVEL"}},
	"ingest":    {256, 5, false, []string{"INTERACTIONS_TABLE", "POPULARITY_TABLE", "AUTH_MODE", "SERVICE_SCOPE", "LOG_LEVEL"}},
	"models":    {256, 5, false, []string{"MODELS_BUCKET", "MODELS_PREFIX", "ACTIVE_TABLE", "AUTH_MODE", "SERVICE_SCOPE", "MODEL_TTL_SECONDS", "LOG_LEVEL"}},
	"reload":    {3008, 300, true, []string{"MODELS_BUCKET", "MODELS_PREFIX", "ACTIVE_TABLE", "ONNXRUNTIME_LIB", "MODEL_TTL_SECONDS", "LOG_LEVEL"}},
}

func TestServingFunctions(t *testing.T) {
	// GIVEN the serving template
	f := getFixture(t)
	fns := f.resources(ServingStackName, "AWS::Lambda::Function")
	layerID := logicalID(f.stacks.Serving.Layer)
	storageIDs := map[string]string{
		"MODELS_BUCKET":      logicalID(f.stacks.Storage.Bucket),
		"ACTIVE_TABLE":       logicalID(f.stacks.Storage.Models),
		"INTERACTIONS_TABLE": logicalID(f.stacks.Storage.Interactions),
		"POPULARITY_TABLE":   logicalID(f.stacks.Storage.Popularity),
		"AVAILABILITY_TABLE": logicalID(f.stacks.Storage.Availability),
		"ITEMS_TABLE":        logicalID(f.stacks.Storage.Items),
	}
	provided := 0
	for _, r := range fns {
		if props(r)["Runtime"] == "provided.al2023" {
			provided++
		}
	}
	if provided != len(wantFunctions) {
		t.Errorf("provided.al2023 functions: got %d, want %d", provided, len(wantFunctions))
	}
	for name, want := range wantFunctions {
		t.Run(name, func(t *testing.T) {
			// WHEN we look at one function
			fn, ok := f.stacks.Serving.Functions[name]
			if !ok {
				t.Fatalf("no function %s in the stack", name)
			}
			p := props(fns[logicalID(fn)])
			// THEN it runs the Go bootstrap on provided.al2023 with its size
			if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" {
				t.Errorf("runtime %v handler %v", p["Runtime"], p["Handler"])
			}
			if got := strs(p["Architectures"]); len(got) != 1 || got[0] != f.cfg.Arch {
				t.Errorf("architectures %v, want [%s]", got, f.cfg.Arch)
			}
			if p["MemorySize"] != want.memory || p["Timeout"] != want.timeout {
				t.Errorf("memory %v timeout %v, want %v %v", p["MemorySize"], p["Timeout"], want.memory, want.timeout)
			}
			if p["FunctionName"] != nil {
				t.Errorf("fixed function name %v", p["FunctionName"])
			}
			// AND the ONNX layer exactly when it runs ONNX Runtime
			layers := p["Layers"]
			if want.onnx != refersTo(layers, layerID) {
				t.Errorf("layers %v: want the ONNX Runtime layer: %v", layers, want.onnx)
			}
			// AND exactly the environment its config reads, wired to the right resources
			env, _ := dig(p, "Environment", "Variables").(map[string]any)
			var got []string
			for k := range env {
				got = append(got, k)
			}
			sort.Strings(got)
			wantEnv := append([]string{}, want.env...)
			sort.Strings(wantEnv)
			if strings.Join(got, ",") != strings.Join(wantEnv, ",") {
				t.Errorf("env %v, want %v", got, wantEnv)
			}
			for k, id := range storageIDs {
				if v, ok := env[k]; ok && !(refersTo(v, id) && refersTo(v, "ExportsOutputRef")) {
					t.Errorf("%s=%v does not name the storage resource %s", k, v, id)
				}
			}
			fixed := map[string]string{"MODELS_PREFIX": "models/", "ONNXRUNTIME_LIB": "/opt/lib/libonnxruntime.so.1", "AUTH_MODE": "jwt", "SERVICE_SCOPE": "mlbundle/service"}
			for k, v := range fixed {
				if e, ok := env[k]; ok && e != v {
					t.Errorf("%s=%v, want %s", k, e, v)
				}
			}
			// AND its logs go to a log group with a retention
			lg := dig(p, "LoggingConfig", "LogGroup", "Ref")
			group := f.resources(ServingStackName, "AWS::Logs::LogGroup")[lg.(string)]
			if group == nil || props(group)["RetentionInDays"] != 30.0 {
				t.Errorf("log group %v: %v, want a 30-day retention", lg, group)
			}
		})
	}
}

func TestServingLayer(t *testing.T) {
	// GIVEN the layer
	f := getFixture(t)
	tpl := f.templates[ServingStackName]
	// THEN there is one, for provided.al2023 on the app's architecture
	check(t, "one layer", func() { tpl.ResourceCountIs(jsii.String("AWS::Lambda::LayerVersion"), jsii.Number(1)) })
	check(t, "layer properties", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::LayerVersion"), map[string]any{
			"CompatibleRuntimes":      []any{"provided.al2023"},
			"CompatibleArchitectures": []any{f.cfg.Arch},
		})
	})
	// AND every ONNX function (and only those) uses it
	want := serving.ONNXFunctionNames()
	sort.Strings(want)
	if strings.Join(want, ",") != "classify,recommend,reload" {
		t.Errorf("ONNX functions %v", want)
	}
}

func TestServingAPI(t *testing.T) {
	// GIVEN the HTTP API
	f := getFixture(t)
	tpl := f.templates[ServingStackName]
	routes := f.resources(ServingStackName, "AWS::ApiGatewayV2::Route")
	// THEN it has the product's routes, each on its function, all but /healthz behind JWT
	want := map[string]string{
		"GET /v1/users/{user_id}/recommendations": "recommend",
		"POST /v1/recommendations":                "recommend",
		"GET /v1/items/{item_id}/similar":         "recommend",
		"POST /v1/scores":                         "recommend",
		"PUT /v1/items/{item_id}":                 "recommend",
		"POST /v1/classify":                       "classify",
		"POST /v1/interactions":                   "ingest",
		"DELETE /v1/users/{user_id}/interactions": "ingest",
		"GET /v1/models":                          "models",
		"GET /healthz":                            "models",
	}
	if len(routes) != len(want) {
		t.Errorf("routes: got %d, want %d", len(routes), len(want))
	}
	integrations := f.resources(ServingStackName, "AWS::ApiGatewayV2::Integration")
	authorizer := ""
	for id := range f.resources(ServingStackName, "AWS::ApiGatewayV2::Authorizer") {
		authorizer = id
	}
	for _, r := range routes {
		p := props(r)
		key, _ := p["RouteKey"].(string)
		fn, ok := want[key]
		if !ok {
			t.Errorf("unexpected route %q", key)
			continue
		}
		target := ""
		for id := range integrations {
			if refersTo(p["Target"], id) {
				target = id
			}
		}
		if !refersTo(integrations[target], logicalID(f.stacks.Serving.Functions[fn])) {
			t.Errorf("%s: integration %s does not invoke %s", key, target, fn)
		}
		if key == "GET /healthz" {
			if p["AuthorizationType"] != "NONE" {
				t.Errorf("%s: authorization %v, want NONE", key, p["AuthorizationType"])
			}
			continue
		}
		if p["AuthorizationType"] != "JWT" || !refersTo(p["AuthorizerId"], authorizer) {
			t.Errorf("%s: authorization %v %v, want JWT by %s", key, p["AuthorizationType"], p["AuthorizerId"], authorizer)
		}
	}
	// AND the authorizer reads issuer and audience from the stack parameters
	check(t, "jwt authorizer", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Authorizer"), map[string]any{
			"AuthorizerType": "JWT",
			"IdentitySource": []any{"$request.header.Authorization"},
			"JwtConfiguration": map[string]any{
				"Issuer": map[string]any{"Ref": "JwtIssuer"}, "Audience": map[string]any{"Ref": "JwtAudience"},
			},
		})
	})
	check(t, "parameters", func() {
		tpl.HasParameter(jsii.String("JwtIssuer"), map[string]any{"Type": "String"})
		tpl.HasParameter(jsii.String("JwtAudience"), map[string]any{"Type": "CommaDelimitedList"})
	})
	// AND the stage is throttled and writes access logs
	check(t, "stage", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ApiGatewayV2::Stage"), map[string]any{
			"StageName":  "$default",
			"AutoDeploy": true,
			"DefaultRouteSettings": map[string]any{
				"ThrottlingRateLimit": f.cfg.ThrottleRate, "ThrottlingBurstLimit": f.cfg.ThrottleBurst,
			},
			"AccessLogSettings": map[string]any{
				"DestinationArn": assertions.Match_AnyValue(), "Format": assertions.Match_StringLikeRegexp(jsii.String("requestId")),
			},
		})
	})
}

func TestServingCORS(t *testing.T) {
	// GIVEN the HTTP API synthesized with the configured origins
	f := getFixture(t)
	apis := f.resources(ServingStackName, "AWS::ApiGatewayV2::Api")
	if len(apis) != 1 {
		t.Fatalf("%d HTTP APIs, want 1", len(apis))
	}
	for _, api := range apis {
		cors, _ := props(api)["CorsConfiguration"].(map[string]any)
		// THEN a browser page on an allowed origin may call the routes it uses with the
		// user's token: recommend and similar items (GET), ingest (POST), deletion (DELETE)
		if got := strs(cors["AllowOrigins"]); strings.Join(got, ",") != strings.Join(f.cfg.CORSOrigins, ",") || len(got) == 0 {
			t.Errorf("AllowOrigins %v, want %v", got, f.cfg.CORSOrigins)
		}
		methods := strings.Join(strs(cors["AllowMethods"]), ",")
		for _, m := range []string{"GET", "POST", "DELETE"} {
			if !strings.Contains(methods, m) {
				t.Errorf("AllowMethods %s lacks %s", methods, m)
			}
		}
		// (PUT /v1/items/{item_id} is for the catalogue service, never a browser page)
		if strings.Contains(methods, "*") || strings.Contains(methods, "PUT") || strings.Contains(methods, "PATCH") {
			t.Errorf("AllowMethods %s allows methods no browser page uses", methods)
		}
		headers := strings.ToLower(strings.Join(strs(cors["AllowHeaders"]), ","))
		for _, h := range []string{"authorization", "content-type"} {
			if !strings.Contains(headers, h) {
				t.Errorf("AllowHeaders %s lacks %s (the token and JSON bodies)", headers, h)
			}
		}
		// AND the token is a header, never a cookie: no credentials mode
		if cors["AllowCredentials"] == true {
			t.Error("AllowCredentials is true")
		}
		if !strings.Contains(strings.ToLower(strings.Join(strs(cors["ExposeHeaders"]), ",")), "x-request-id") {
			t.Errorf("ExposeHeaders %v: a page cannot read the request id", cors["ExposeHeaders"])
		}
	}
}
