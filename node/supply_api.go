package node

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// Supply is aspen_supply's answer: a chain's native supply at its head and
// where it came from. Supply = GenesisAlloc + Minted + Rewards - Burned -
// FeesBurned (Rewards: a root's block rewards, paid to miners).
// For a subnet, its parent's circulating supply for it is GenesisAlloc +
// the value of every later fund - every release, so once no message is in
// flight it equals Supply + FeesBurned: the books of both chains agree.
type Supply struct {
	Subnet       string         `json:"subnet"`
	Height       hexutil.Uint64 `json:"height"`
	GenesisAlloc *hexutil.Big   `json:"genesisAlloc"`
	Minted       *hexutil.Big   `json:"minted"`     // by top-down messages
	Burned       *hexutil.Big   `json:"burned"`     // by messages up to the parent
	FeesBurned   *hexutil.Big   `json:"feesBurned"` // base fees (EIP-1559)
	Rewards      *hexutil.Big   `json:"rewards"`    // block rewards minted to miners (roots only)
	Supply       *hexutil.Big   `json:"supply"`
}

// Supply is aspen_supply(subnetId). It sums the base fees of every block,
// so it reads every header: a diagnostic for tests and operators, not for
// hot paths.
func (a *aspenAPI) Supply(id string) (*Supply, error) {
	var rt *runtime
	for _, r := range a.n.runtimeList() {
		if string(r.id) == id {
			rt = r
		}
	}
	if rt == nil {
		return nil, fmt.Errorf("this node does not serve %s (see aspen_subnets)", id)
	}
	head := rt.head.Load()
	alloc := new(big.Int)
	for _, acc := range rt.gen.Alloc {
		if acc.Balance != nil {
			alloc.Add(alloc, (*big.Int)(acc.Balance))
		}
	}
	fees := new(big.Int)
	for h := uint64(1); h <= head.Height; h++ {
		hdr, err := rt.store.HeaderByNumber(h)
		if err != nil {
			return nil, err
		}
		fees.Add(fees, new(big.Int).Mul(baseFeeOf(hdr), new(big.Int).SetUint64(hdr.GasUsed)))
	}
	gs, err := rt.exec.GatewayState(head) // the head's, final or not, as the headers summed above
	if err != nil {
		return nil, err
	}
	minted, burned := gateway.SupplyCounters(gs)
	rewards := new(big.Int).Mul(rt.gen.BlockRewardWei(), new(big.Int).SetUint64(head.Height))
	supply := new(big.Int).Add(alloc, minted)
	supply.Add(supply, rewards)
	supply.Sub(supply, burned).Sub(supply, fees)
	return &Supply{Subnet: id, Height: hexutil.Uint64(head.Height), GenesisAlloc: (*hexutil.Big)(alloc),
		Minted: (*hexutil.Big)(minted), Burned: (*hexutil.Big)(burned), FeesBurned: (*hexutil.Big)(fees), Rewards: (*hexutil.Big)(rewards), Supply: (*hexutil.Big)(supply)}, nil
}

func baseFeeOf(h *types.Header) *big.Int {
	if h.BaseFee == nil {
		return new(big.Int)
	}
	return h.BaseFee
}
