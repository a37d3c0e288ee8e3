package evm

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/core"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/types"
)

// ChainConfig is go-ethereum's chain config for an Aspen chain: every fork
// through Prague active at block 0 and time 0, post-merge (no difficulty),
// standard EIP-1559 parameters.
func ChainConfig(chainID *big.Int) *params.ChainConfig {
	zero := uint64(0)
	b0 := func() *big.Int { return new(big.Int) }
	return &params.ChainConfig{
		ChainID:                 new(big.Int).Set(chainID),
		HomesteadBlock:          b0(),
		EIP150Block:             b0(),
		EIP155Block:             b0(),
		EIP158Block:             b0(),
		ByzantiumBlock:          b0(),
		ConstantinopleBlock:     b0(),
		PetersburgBlock:         b0(),
		IstanbulBlock:           b0(),
		MuirGlacierBlock:        b0(),
		BerlinBlock:             b0(),
		LondonBlock:             b0(),
		ArrowGlacierBlock:       b0(),
		GrayGlacierBlock:        b0(),
		MergeNetsplitBlock:      b0(),
		ShanghaiTime:            &zero,
		CancunTime:              &zero,
		PragueTime:              &zero,
		TerminalTotalDifficulty: b0(),
		BlobScheduleConfig: &params.BlobScheduleConfig{
			Cancun: params.DefaultCancunBlobConfig,
			Prague: params.DefaultPragueBlobConfig,
		},
	}
}

// rules are the fork rules at a height (all forks are active from 0).
func (e *Executor) rules(h *types.Header) params.Rules {
	return e.config.Rules(new(big.Int).SetUint64(h.Height), true, h.Time())
}

// blockContext is what the EVM sees of block h.
// hashes is the canonical hash of an ancestor of h by height.
func (e *Executor) blockContext(h *types.Header, hashes func(uint64) (common.Hash, error)) vm.BlockContext {
	random := h.ParentHash // PREVRANDAO: deterministic, and the same on every node
	return vm.BlockContext{
		CanTransfer:      core.CanTransfer,
		Transfer:         core.Transfer,
		GetHash:          getHashFn(h, hashes),
		Coinbase:         h.Proposer,
		GasLimit:         h.GasLimit,
		BlockNumber:      new(big.Int).SetUint64(h.Height),
		Time:             h.Time(),
		Difficulty:       new(big.Int),
		BaseFee:          new(big.Int).Set(baseFeeOf(h)),
		BlobBaseFee:      big.NewInt(params.BlobTxMinBlobGasprice),
		Random:           &random,
		CostPerStateByte: params.CostPerStateByte,
	}
}

// getHashFn serves BLOCKHASH from our headers: the EVM asks only for the 256
// ancestors of h, which are all committed.
func getHashFn(h *types.Header, hashes func(uint64) (common.Hash, error)) vm.GetHashFunc {
	return func(n uint64) common.Hash {
		if n+1 == h.Height {
			return h.ParentHash
		}
		hash, err := hashes(n)
		if err != nil {
			return common.Hash{}
		}
		return hash
	}
}

// nextBaseFee is the EIP-1559 base fee of the block after parent.
func (e *Executor) nextBaseFee(parent *types.Header) *big.Int {
	return eip1559.CalcBaseFee(e.config, &gethtypes.Header{
		Number:   new(big.Int).SetUint64(parent.Height),
		Time:     parent.Time(),
		GasLimit: parent.GasLimit,
		GasUsed:  parent.GasUsed,
		BaseFee:  baseFeeOf(parent),
	})
}

// nextHeader is the header a block on parent would start from: the context
// of "pending" queries and of Build.
func (e *Executor) nextHeader(parent *types.Header, timeMs uint64, proposer common.Address) *types.Header {
	return &types.Header{
		SubnetID:   parent.SubnetID,
		Height:     parent.Height + 1,
		ParentHash: parent.Hash(),
		TimeMs:     timeMs,
		Proposer:   proposer,
		GasLimit:   parent.GasLimit,
		BaseFee:    e.nextBaseFee(parent),
	}
}

func baseFeeOf(h *types.Header) *big.Int {
	if h.BaseFee == nil {
		return new(big.Int)
	}
	return h.BaseFee
}
