// Command aspen runs Aspen nodes and local networks and talks to them.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is stamped by the build; "dev" in a plain go build.
var version = "v0.1.0-dev"

func main() {
	if err := rootCmd().Execute(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "aspen:", err)
		os.Exit(1)
	}
}

// exitError ends the process with a code after its message was printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "aspen",
		Short:         "Aspen: a node for a tree of EVM blockchains",
		Long:          "Aspen runs a root chain and its subnets. Start a local network with `aspen devnet`.",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(initCmd(), nodeCmd(), keysCmd(), devnetCmd(), benchCmd(), subnetCmd(), juryCmd(), xferCmd(), statusCmd(), lightCmd(), swapCmd(), snapshotCmd(), atomicCmd(), privateCmd())
	return root
}
