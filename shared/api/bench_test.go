package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
)

// BenchmarkRouterLambda measures the plumbing cost of one API Gateway request:
// routing, a strict decode of a small body, encoding and the access log line.
func BenchmarkRouterLambda(b *testing.B) {
	rt := NewRouter(WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	rt.Handle("POST", "/v1/users/{user_id}/echo", func(_ context.Context, r *Request) (*Response, error) {
		var v echoBody
		if err := DecodeJSON(r, 1024, &v); err != nil {
			return nil, err
		}
		return JSON(200, v), nil
	})
	e := event("POST", "/v1/users/u1/echo", "k=10", `{"name":"item-1","k":10}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := rt.Lambda(ctx, e); resp.StatusCode != 200 {
			b.Fatal(resp.Body)
		}
	}
}

// BenchmarkDecodeJSON measures the strict decoder alone on a 32-text body.
func BenchmarkDecodeJSON(b *testing.B) {
	body := []byte(`{"texts":[` + repeatJSON(`"Crude oil prices rose after the cartel agreed to cut output."`, 32) + `],"top_k":5}`)
	r := &Request{Body: body}
	var v struct {
		Texts []string `json:"texts"`
		TopK  int      `json:"top_k"`
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeJSON(r, 1<<20, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func repeatJSON(s string, n int) string {
	out := s
	for i := 1; i < n; i++ {
		out += "," + s
	}
	return out
}

// BenchmarkUnmarshalPeer is the peer of BenchmarkDecodeJSON: plain json.Unmarshal
// of the same body, without the strict checks (size, UTF-8, unknown fields,
// trailing data).
func BenchmarkUnmarshalPeer(b *testing.B) {
	body := []byte(`{"texts":[` + repeatJSON(`"Crude oil prices rose after the cartel agreed to cut output."`, 32) + `],"top_k":5}`)
	var v struct {
		Texts []string `json:"texts"`
		TopK  int      `json:"top_k"`
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}
