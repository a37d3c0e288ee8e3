package main

import (
	"bytes"
	"context"
)

// runAspen runs the aspen command line in-process and returns its stdout.
func runAspen(ctx context.Context, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	root := rootCmd()
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}
