package evm

import (
	"errors"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/private"
	"github.com/aspen-chain/aspen/private/registry"
	"github.com/aspen-chain/aspen/types"
)

// The private registry as a system contract (system.go): on a private
// subnet (genesis privacy "private") it takes participants' keys, envelopes
// and confirmations, and decides envelopes; elsewhere it reverts every call.

var privregAccount = sysAccount{
	name:  "ASPEN_PRIVATE",
	label: "private registry",
	addr:  registry.Address,
	funds: errors.New("evm: private registry transfer exceeds the sender's balance"),
}

type privregBinding struct{ r *registry.Contract }

func (b privregBinding) requiredGas(st sysState, c sysCall) uint64 {
	return b.r.RequiredGas(st, registry.Call(c))
}

func (b privregBinding) run(st sysState, c sysCall) ([]byte, error) {
	return b.r.Run(st, registry.Call(c))
}

var _ registry.State = sysState{}

// newRegistry is the registry of gen's chain.
func newRegistry(gen *config.Genesis) (*registry.Contract, error) {
	ctx := private.Context{ChainID: gen.ChainID, Subnet: types.SubnetID(gen.SubnetID)}
	return registry.New(ctx, gen.Privacy == config.PrivacyPrivate)
}
