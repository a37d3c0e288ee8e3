package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/config"
)

func keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Show or create a node's keys (account, BLS validator key, libp2p identity)",
	}
	var home string
	var asJSON bool
	show := &cobra.Command{
		Use:   "show --home DIR",
		Short: "Print the public half of a node's keys",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.LoadNode(home)
			if err != nil {
				return err
			}
			k, err := loadKeys(cfg)
			if err != nil {
				return err
			}
			return printKeys(cmd, k, asJSON)
		},
	}
	create := &cobra.Command{
		Use:   "new --home DIR",
		Short: "Create keys in a directory that has none (aspen init does this for you)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return fmt.Errorf("--home is required")
			}
			k, err := createKeys(config.DefaultNode(home))
			if err != nil {
				return err
			}
			return printKeys(cmd, k, asJSON)
		},
	}
	for _, c := range []*cobra.Command{show, create} {
		c.Flags().StringVar(&home, "home", "", "the node's home directory")
		c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
		cmd.AddCommand(c)
	}
	return cmd
}

func printKeys(cmd *cobra.Command, k nodeKeys, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(k)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "account    %s\nvalidator  %s (BLS12-381)\npeer ID    %s\n", k.Account, k.BLSPublicKey, k.PeerID)
	return nil
}
