package main

import (
	"context"
	"fmt"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
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
