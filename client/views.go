package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// ErrUnexpectedResult: the node answered with something that is not the
// IGateway result asked for.
var ErrUnexpectedResult = errors.New("client: unexpected gateway result")

// SubnetID is the ID of the chain this client talks to.
func (g *Gateway) SubnetID(ctx context.Context) (types.SubnetID, error) {
	out, err := g.Call(ctx, "subnetId")
	if err != nil {
		return "", err
	}
	s, ok := out[0].(string)
	if !ok {
		return "", fmt.Errorf("subnetId: %w", ErrUnexpectedResult)
	}
	return types.SubnetID(s), nil
}

// Children lists the IDs of every child the chain's gateway has
// registered, killed ones included.
func (g *Gateway) Children(ctx context.Context) ([]types.SubnetID, error) {
	out, err := g.Call(ctx, "children")
	if err != nil {
		return nil, err
	}
	ids, ok := out[0].([]string)
	if !ok {
		return nil, fmt.Errorf("children: %w", ErrUnexpectedResult)
	}
	res := make([]types.SubnetID, len(ids))
	for i, id := range ids {
		res[i] = types.SubnetID(id)
	}
	return res, nil
}

// Subnet reads subnet(id): the child's parameters, status, supply and
// validators. It fails (with the gateway's reason) if there is no such child.
func (g *Gateway) Subnet(ctx context.Context, id types.SubnetID) (*gateway.ABISubnetInfo, error) {
	out, err := g.Call(ctx, "subnet", string(id))
	if err != nil {
		return nil, err
	}
	return DecodeSubnetInfo(out)
}

// DecodeSubnetInfo converts the unpacked result of subnet(id).
func DecodeSubnetInfo(out []any) (*gateway.ABISubnetInfo, error) {
	if len(out) != 1 {
		return nil, fmt.Errorf("subnet(): %d results, want one SubnetInfo: %w", len(out), ErrUnexpectedResult)
	}
	info := new(gateway.ABISubnetInfo)
	if err := convertABI(out[0], info); err != nil {
		return nil, fmt.Errorf("subnet(): %w", err)
	}
	return info, nil
}

// convertABI is abi.ConvertType without its panic on a shape mismatch.
func convertABI(in, out any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: shape %v", ErrUnexpectedResult, r)
		}
	}()
	abi.ConvertType(in, out)
	return nil
}

// ErrNoDestination: a message's destination does not exist, or was killed.
var ErrNoDestination = errors.New("client: no such destination subnet")

// CheckDestination refuses a message from src to dst early, when g (the
// gateway of their lowest common ancestor, which every node serving src
// also follows) shows that the subnet on dst's path below it does not exist
// or was killed. Sent anyway, such a message would travel up to the
// ancestor only to bounce back as a refund. Deeper levels are not checked:
// their registries live on chains the caller may not reach; the hop that
// finds one missing refunds the sender.
func (g *Gateway) CheckDestination(ctx context.Context, src, dst types.SubnetID) error {
	lca, ok := src.CommonAncestor(dst)
	if !ok || lca == dst {
		return nil // another network (the gateway refuses it) or an ancestor (it exists)
	}
	child, _ := lca.NextHop(dst)
	children, err := g.Children(ctx)
	if err != nil {
		return err
	}
	for _, c := range children {
		if c != child {
			continue
		}
		info, err := g.Subnet(ctx, child)
		if err != nil {
			return err
		}
		if gateway.Status(info.Status) == gateway.StatusKilled {
			return fmt.Errorf("%w: %s was killed, so %s cannot receive messages", ErrNoDestination, child, dst)
		}
		return nil
	}
	return fmt.Errorf("%w: %s does not exist (%s has no child %s; `aspen subnet list` shows its subnets)", ErrNoDestination, dst, lca, child)
}
