package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/node"
	"github.com/aspen-chain/aspen/private/registry"
	"github.com/aspen-chain/aspen/types"
)

// privacyMode parses --privacy.
func privacyMode(s string) (gateway.Privacy, error) {
	switch s {
	case "", "public":
		return gateway.PrivacyPublic, nil
	case "private":
		return gateway.PrivacyPrivate, nil
	}
	return 0, fmt.Errorf("--privacy %q: use public or private", s)
}

// setPrivacy makes the just-created subnet id private when asked; only its
// creator may, and only while it is Registered.
func setPrivacy(ctx context.Context, g *client.Gateway, id types.SubnetID, s string) error {
	mode, err := privacyMode(s)
	if err != nil || mode == gateway.PrivacyPublic {
		return err
	}
	if _, err := g.Transact(ctx, "setPrivacy", nil, string(id), uint8(mode)); err != nil {
		return fmt.Errorf("%s was created, but it was not made private (it is public until it activates; retry before validators join): %w", id, err)
	}
	return nil
}

func privateCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "private", Short: "Participant keys of private subnets (docs/PRIVACY.md)"}
	cmd.AddCommand(privateKeygenCmd())
	return cmd
}

func privateKeygenCmd() *cobra.Command {
	var home string
	cmd := &cobra.Command{
		Use:   "keygen --home DIR",
		Short: "Create (or show) the participant's X25519 encryption key in DIR/private/key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if home == "" {
				return fmt.Errorf("--home is required: the node's home directory")
			}
			k, err := node.LoadOrCreatePrivateKey(home)
			if err != nil {
				return err
			}
			pub, err := k.Public().MarshalText()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "public key %s\nkey ID     %s\nRegister it on the private subnet: registerKey(%s) on %s (IPrivate)\n",
				pub, k.ID(), pub, registry.Address)
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "node home directory")
	return cmd
}
