package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/contentml/mlbundle/shared/api"
	"github.com/contentml/mlbundle/shared/bundle"
	"github.com/contentml/mlbundle/shared/config"
)

// shutdownGrace bounds how long in-flight requests may finish after a stop signal.
const shutdownGrace = 10 * time.Second

// serverLimits bound what one connection or request may hold (docs/api.md, "Local server
// limits").
type serverLimits struct {
	inFlight, queued int           // requests served at once; more waiting for a slot
	queueWait        time.Duration // longest wait for a slot before a 429
	readHeader       time.Duration // to read the request line and headers
	read             time.Duration // to read the whole request, body included
	write            time.Duration // from the end of the headers to the end of the answer
	idle             time.Duration // a keep-alive connection between requests
}

// defaultLimits: four requests at once keep the largest classify calls of four callers
// in memory (docs/reliability.md has the measurement); 16 more may wait 10 s.
var defaultLimits = serverLimits{
	inFlight: 4, queued: 16, queueWait: 10 * time.Second,
	readHeader: 5 * time.Second, read: 15 * time.Second, write: 60 * time.Second, idle: 60 * time.Second,
}

// serve runs every HTTP route on one server until ctx ends.
// -h prints the flags on stdout and returns flag.ErrHelp.
func serve(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	addr := fs.String("addr", ":8080", "listen address")
	lim := defaultLimits
	fs.IntVar(&lim.inFlight, "max-in-flight", lim.inFlight, "requests served at once")
	fs.IntVar(&lim.queued, "max-queued", lim.queued, "requests waiting for a slot; beyond them: 429 with Retry-After")
	fs.DurationVar(&lim.read, "read-timeout", lim.read, "longest time to read a request, body included")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, "usage: mlbundle serve [flags]: every route on one HTTP server")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return err
	} else if err != nil {
		return usageErrorf("serve: %v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("serve takes no arguments, got %q", fs.Args())
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	b, err := bundle.Open(ctx, cfg, bundle.Options{})
	if err != nil {
		return err
	}
	defer b.Close()
	if cfg.AuthMode == api.AuthJWT {
		b.Logger.Warn("AUTH_MODE=jwt: the local server verifies no tokens, so every user-scoped call answers 403; use AUTH_MODE=none locally")
	}
	b.Warm(ctx)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	return runServer(ctx, b, ln, lim)
}

// runServer serves b's routes on ln within lim until ctx ends, then shuts down gracefully.
func runServer(ctx context.Context, b *bundle.Bundle, ln net.Listener, lim serverLimits) error {
	rt, err := b.Router()
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           api.NewLimiter(rt, lim.inFlight, lim.queued, lim.queueWait),
		ReadHeaderTimeout: lim.readHeader, ReadTimeout: lim.read, WriteTimeout: lim.write, IdleTimeout: lim.idle,
	}
	b.Logger.Info("serving", "addr", ln.Addr().String(), "routes", rt.Routes(),
		"models", b.Config.ModelsDir, "s3", b.Config.UsesS3(), "dynamodb", b.Config.UsesDynamo())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	b.Logger.Info("stopped")
	return nil
}
