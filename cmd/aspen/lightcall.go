package main

import (
	"context"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/light"
	"github.com/aspen-chain/aspen/types"
)

// provenCall is the light client's eth_call executor: the EVM run on
// proven accounts only.
func provenCall(ctx context.Context, chain light.CallChain, header *types.Header, accounts map[common.Address]light.CallAccount, args execution.CallArgs) (*execution.CallResult, light.CallTouched, error) {
	in := make(map[common.Address]evm.ProvenAccount, len(accounts))
	for addr, a := range accounts {
		in[addr] = evm.ProvenAccount(a)
	}
	cfg := evm.CallConfig{Subnet: chain.Subnet, ChainID: new(big.Int).SetUint64(chain.ChainID)}
	res, touched, err := evm.ProvenCall(ctx, cfg, header, in, args)
	return res, light.CallTouched(touched), err
}

var _ light.Executor = provenCall
