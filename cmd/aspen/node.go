package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/node"
)

func nodeCmd() *cobra.Command {
	var home string
	cmd := &cobra.Command{
		Use:   "node --home DIR",
		Short: "Run a node from its home until SIGINT or SIGTERM",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.LoadNode(home)
			if err != nil {
				return err
			}
			log := newLogger(cfg)
			n, err := node.New(cfg, log)
			if err != nil {
				return fmt.Errorf("start node %s: %w", cfg.Name, err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return n.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "the node's home directory (made by `aspen init` or `aspen devnet`)")
	_ = cmd.MarkFlagRequired("home")
	return cmd
}

func newLogger(cfg *config.Node) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	return slog.New(h).With("node", cfg.Name)
}
