// Command mlbundle runs the bundle's functions locally, without Docker or AWS:
//
//	mlbundle serve [-addr :8080]              every route on one HTTP server
//	mlbundle invoke <function> <event.json>   one function on a SAM-shaped event
//	mlbundle load-interactions <file.jsonl>   seed the interactions store
//
// It reads the same environment as the Lambda functions (see shared/config): by
// default the local models/ dir and the embedded SQLite store, or S3/DynamoDB when
// MODELS_BUCKET, ACTIVE_TABLE and INTERACTIONS_TABLE are set.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage:
  mlbundle serve [-addr :8080]
  mlbundle invoke <function> <event.json>   (functions: recommend, classify, ingest, models, reload)
  mlbundle load-interactions <file.jsonl>`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mlbundle:", err)
		stop()
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no command\n%s", usage)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:])
	case "invoke":
		return invokeCmd(ctx, args[1:], os.Stdout)
	case "load-interactions":
		return loadCmd(ctx, args[1:], os.Stdout)
	case "-h", "--help", "help":
		fmt.Println(usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
}
