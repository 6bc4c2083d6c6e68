package serving

import "time"

// LayerLibPath is where the ONNX Runtime layer puts the library (layers unpack to /opt).
const LayerLibPath = "/opt/lib/libonnxruntime.so.1"

// access is what a function may do with a table.
type access int

const (
	none access = iota
	read
	write
	readWrite
)

// function describes one Lambda function: its sizing, what it reads and writes, and the
// routes it serves. Sizes follow the serving benchmarks (docs/benchmarks.md, "Infra").
type function struct {
	name         string
	memoryMB     float64
	timeout      time.Duration
	p99          time.Duration // the p99 latency alarm threshold
	onnx         bool          // runs ONNX Runtime: gets the layer and ONNXRUNTIME_LIB
	checkpoints  bool          // reads models/* from the bucket
	pointer      access        // the active-model pointer table
	interactions access
	popularity   access
	availability access // the unavailable items (operators write them, not the functions)
	items        access // the items registered by text (PUT /v1/items/{item_id} writes them)
	// forgets deletes users' data (DELETE /v1/users/{user_id}/interactions): it reads a
	// user's interaction keys and deletes popularity-table records, on top of its access.
	forgets bool
	routes  []route
}

// route is one HTTP API route; public routes skip the authorizer.
type route struct {
	method, path string
	public       bool
}

// functions is the table of every function the stack deploys, in a fixed order.
var functions = []function{
	{
		name: "recommend", memoryMB: 1536, timeout: 10 * time.Second, p99: time.Second,
		onnx: true, checkpoints: true, pointer: read, interactions: read, popularity: read, availability: read,
		items: readWrite,
		routes: []route{
			{method: "GET", path: "/v1/users/{user_id}/recommendations"},
			{method: "POST", path: "/v1/recommendations"},
			{method: "GET", path: "/v1/items/{item_id}/similar"},
			{method: "POST", path: "/v1/scores"},
			{method: "PUT", path: "/v1/items/{item_id}"},
		},
	},
	{
		name: "classify", memoryMB: 2048, timeout: 15 * time.Second, p99: 3 * time.Second,
		onnx: true, checkpoints: true, pointer: read,
		routes: []route{{method: "POST", path: "/v1/classify"}},
	},
	{
		name: "ingest", memoryMB: 256, timeout: 5 * time.Second, p99: 500 * time.Millisecond,
		interactions: write, popularity: write, forgets: true,
		routes: []route{
			{method: "POST", path: "/v1/interactions"},
			{method: "DELETE", path: "/v1/users/{user_id}/interactions"},
		},
	},
	{
		name: "models", memoryMB: 256, timeout: 5 * time.Second, p99: 500 * time.Millisecond,
		checkpoints: true, pointer: read,
		routes: []route{{method: "GET", path: "/v1/models"}, {method: "GET", path: "/healthz", public: true}},
	},
	{
		name: "reload", memoryMB: 3008, timeout: 5 * time.Minute, p99: 2 * time.Minute,
		onnx: true, checkpoints: true, pointer: readWrite,
	},
}

// FunctionNames lists the functions the stack deploys; each needs
// <build>/lambda/<name>/bootstrap, built from functions/<name>.
func FunctionNames() []string {
	names := make([]string, len(functions))
	for i, f := range functions {
		names[i] = f.name
	}
	return names
}

// ONNXFunctionNames lists the functions that get the ONNX Runtime layer.
func ONNXFunctionNames() []string {
	var names []string
	for _, f := range functions {
		if f.onnx {
			names = append(names, f.name)
		}
	}
	return names
}
