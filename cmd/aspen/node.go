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
	var mine bool
	var threads int
	cmd := &cobra.Command{
		Use:   "node --home DIR [--mine [--mine-threads N]]",
		Short: "Run a node from its home until SIGINT or SIGTERM",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.LoadNode(home)
			if err != nil {
				return err
			}
			// The flags override config.toml's [mining] for this run.
			if cmd.Flags().Changed("mine") {
				cfg.Mining.Enabled = mine
			}
			if cmd.Flags().Changed("mine-threads") {
				cfg.Mining.Threads = threads
			}
			if err := cfg.Validate(); err != nil {
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
	cmd.Flags().BoolVar(&mine, "mine", false, "mine on every proof-of-work chain this node runs (reward and fees to its account)")
	cmd.Flags().IntVar(&threads, "mine-threads", 1, "cores the nonce search may use, per proof-of-work chain")
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
