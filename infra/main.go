package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

func main() {
	app := awscdk.NewApp(nil)
	cfg, err := ConfigFromContext(app.Node(), ".")
	if err == nil {
		err = cfg.CheckAssets()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "infra: %v\n", err)
		os.Exit(1)
	}
	NewStacks(app, cfg)
	app.Synth(nil)
}
