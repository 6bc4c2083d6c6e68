package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/contentml/mlbundle/shared/bundle"
	"github.com/contentml/mlbundle/shared/config"
)

// unavailableCmd changes or prints the list of items no answer may hold:
//
//	mlbundle unavailable add [--reason TEXT] ITEM...
//	mlbundle unavailable remove ITEM...
//	mlbundle unavailable list
//
// Serving sees a change within AVAILABILITY_TTL_SECONDS, without a retrain.
func unavailableCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("unavailable wants add, remove or list")
	}
	fs := flag.NewFlagSet("unavailable "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	reason := fs.String("reason", "", "why the items are unavailable (recorded)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageErrorf("unavailable %s: %v", args[0], err)
	}
	items := fs.Args()
	switch {
	case args[0] != "add" && args[0] != "remove" && args[0] != "list":
		return usageErrorf("unavailable wants add, remove or list, got %q", args[0])
	case args[0] == "list" && len(items) > 0:
		return usageErrorf("unavailable list takes no items")
	case args[0] != "list" && len(items) == 0:
		return usageErrorf("unavailable %s wants at least one item id", args[0])
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return err
	}
	b, err := bundle.Open(ctx, cfg, bundle.Options{MetricsOut: io.Discard, Functions: []string{bundle.Recommend}})
	if err != nil {
		return err
	}
	defer b.Close()
	for _, id := range items {
		if args[0] == "add" {
			err = b.Availability.MarkUnavailable(ctx, id, *reason)
		} else {
			err = b.Availability.MarkAvailable(ctx, id)
		}
		if err != nil {
			return err
		}
	}
	if args[0] != "list" {
		fmt.Fprintf(stdout, "%s: %d item(s)\n", args[0], len(items))
		return nil
	}
	list, err := b.Availability.List(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, e := range list {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}
