package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "mlbundle"

// Metric names used across the functions.
const (
	ColdStart        = "ColdStart"        // a recommend call answered from popular items
	ReloadPromoted   = "ReloadPromoted"   // a checkpoint passed verification and now serves
	ReloadRejected   = "ReloadRejected"   // a checkpoint failed verification; the old one serves
	ReloadIgnored    = "ReloadIgnored"    // an event for a key that is not a manifest
	ModelLoadMillis  = "ModelLoadMillis"  // time to download, verify and load a checkpoint
	ModelUnavailable = "ModelUnavailable" // a request answered 503 because no model serves
	PointerCorrupt   = "PointerCorrupt"   // reload found an unreadable active pointer and replaces it
)

// Unit is a CloudWatch metric unit.
type Unit string

// Units used here.
const (
	Count        Unit = "Count"
	Milliseconds Unit = "Milliseconds"
)

// Emitter writes EMF lines to a writer (os.Stdout on Lambda). It is safe for
// concurrent use; a nil *Emitter discards everything. Writes are best effort: a
// metric never fails a request.
type Emitter struct {
	mu       sync.Mutex
	w        io.Writer
	function string
	now      func() time.Time
}

// New returns an Emitter writing to w with the given function name as dimension.
func New(w io.Writer, function string) *Emitter {
	return &Emitter{w: w, function: function, now: time.Now}
}

// Count records n occurrences of the named event. props are extra searchable
// fields (model kind, version, reason); they are not dimensions.
func (e *Emitter) Count(name string, n float64, props map[string]string) {
	e.put(name, n, Count, props)
}

// Duration records d in milliseconds under name.
func (e *Emitter) Duration(name string, d time.Duration, props map[string]string) {
	e.put(name, float64(d.Microseconds())/1000, Milliseconds, props)
}

type metricDef struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type awsMeta struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

func (e *Emitter) put(name string, value float64, unit Unit, props map[string]string) {
	if e == nil || e.w == nil {
		return
	}
	rec := make(map[string]any, len(props)+3)
	for k, v := range props {
		rec[k] = v
	}
	rec["_aws"] = awsMeta{
		Timestamp: e.now().UnixMilli(),
		CloudWatchMetrics: []directive{{
			Namespace: Namespace, Dimensions: [][]string{{"function"}},
			Metrics: []metricDef{{Name: name, Unit: unit}},
		}},
	}
	rec["function"] = e.function
	rec[name] = value
	line, err := json.Marshal(rec)
	if err != nil {
		return
	}
	line = append(line, '\n')
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(line)
}
