// Command mlbundle runs the bundle's functions locally, without Docker or AWS:
//
//	mlbundle serve [-addr :8080]              every route on one HTTP server
//	mlbundle invoke <function> <event.json>   one function on a SAM-shaped event
//	mlbundle load-interactions <file.jsonl>   seed the interactions store
//	mlbundle promote --kind K --version V     make a version active by hand (rollback)
//	mlbundle unavailable add|remove|list      the items no answer may hold
//	mlbundle --version                        module and ONNX Runtime versions
//
// It reads the same environment as the Lambda functions (see shared/config): by
// default the local models/ dir and the embedded SQLite store, or S3/DynamoDB when
// MODELS_BUCKET, ACTIVE_TABLE and INTERACTIONS_TABLE are set.
//
// Exit status: 0 on success and for -h/--help, 2 for a usage error (unknown
// command or flag, wrong arguments), 1 for any other failure.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

const usage = `usage:
  mlbundle serve [-addr :8080]
  mlbundle invoke <function> <event.json>   (functions: recommend, classify, ingest, models, reload)
  mlbundle load-interactions <file.jsonl>
  mlbundle promote --kind ncf|classifier --version V [--force] [--reason TEXT]
                                            make V active by hand after the reload check
                                            (an older V is a rollback and pins the pointer)
  mlbundle unavailable add [--reason TEXT] ITEM... | remove ITEM... | list
                                            items no recommend answer may hold (no retrain)
  mlbundle --version                        module version and ONNX Runtime version (ONNXRUNTIME_LIB)
  mlbundle -h | --help`

// usageError is a command line the program cannot act on; it exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + "\n" + usage }

func usageErrorf(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	code := exitCode(err)
	if code != 0 {
		fmt.Fprintln(os.Stderr, "mlbundle:", err)
	}
	stop()
	os.Exit(code)
}

// exitCode maps run's result to the process's exit status.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("no command")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout)
	case "invoke":
		return invokeCmd(ctx, args[1:], stdout)
	case "load-interactions":
		return loadCmd(ctx, args[1:], stdout)
	case "promote":
		return promoteCmd(ctx, args[1:], stdout)
	case "unavailable":
		return unavailableCmd(ctx, args[1:], stdout)
	case "-h", "--help", "-help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	case "--version", "-version", "version":
		info, ok := debug.ReadBuildInfo()
		fmt.Fprint(stdout, versionText(info, ok, os.Getenv("ONNXRUNTIME_LIB")))
		return nil
	default:
		return usageErrorf("unknown command %q", args[0])
	}
}
