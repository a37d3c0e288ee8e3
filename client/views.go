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
