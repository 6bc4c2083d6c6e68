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

// serve runs every HTTP route on one server until ctx ends.
// -h prints the flags on stdout and returns flag.ErrHelp.
func serve(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	addr := fs.String("addr", ":8080", "listen address")
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
	return runServer(ctx, b, ln)
}

// runServer serves b's routes on ln until ctx ends, then shuts down gracefully.
func runServer(ctx context.Context, b *bundle.Bundle, ln net.Listener) error {
	rt, err := b.Router()
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: rt, ReadHeaderTimeout: 10 * time.Second}
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
