package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"

	"github.com/contentml/mlbundle/shared/bundle"
	"github.com/contentml/mlbundle/shared/checkpoint"
	"github.com/contentml/mlbundle/shared/config"
	"github.com/contentml/mlbundle/shared/reload"
)

// promoteCmd moves the active pointer of a kind to a version by hand (a rollback or a
// promotion), through the same check as reload, and prints the pointer written.
func promoteCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("promote", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	kind := fs.String("kind", "", "model kind: ncf or classifier")
	version := fs.String("version", "", "version to make active")
	force := fs.Bool("force", false, "promote even when the version fails verification")
	reason := fs.String("reason", "promoted by hand", "why (recorded in the pointer and logged)")
	if err := fs.Parse(args); err != nil {
		return usageErrorf("promote: %v", err)
	}
	switch {
	case fs.NArg() > 0:
		return usageErrorf("promote: unexpected argument %q", fs.Arg(0))
	case !checkpoint.ValidKind(checkpoint.Kind(*kind)):
		return usageErrorf("promote: --kind must be ncf or classifier, got %q", *kind)
	case !checkpoint.ValidVersion(*version):
		return usageErrorf("promote: --version %q is not a valid version name", *version)
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	b, err := bundle.Open(ctx, cfg, bundle.Options{MetricsOut: io.Discard, Functions: []string{bundle.Reload}})
	if err != nil {
		return err
	}
	defer b.Close()
	a, err := b.Reload.PromoteByHand(ctx, checkpoint.Kind(*kind), *version,
		reload.ByHand{By: operator(), Reason: *reason, Force: *force})
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(out))
	return nil
}

// operator names who runs the command: "cli:<user>@<host>".
func operator() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return "cli:" + name + "@" + host
}
