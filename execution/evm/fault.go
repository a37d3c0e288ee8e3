package evm

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/types"
)

// FaultMint makes an executor break the state transition on purpose: a
// transaction that Account sends to itself credits it Amount wei out of
// nothing. Every node of a subnet's quorum running the same fault agrees
// on the forged blocks, signs them and checkpoints them — the captured
// quorum the jury and fraud proofs exist for (CROSSNET.md, "Jury"). It is a
// fault injection for end-to-end tests, set by the ASPEN_FAULT_MINT
// environment variable (ParseFaultMint); no configuration file sets it.
// Stateless verifiers and fraud checkers never carry it.
type FaultMint struct {
	Subnet  types.SubnetID
	Account common.Address
	Amount  *big.Int
}

// ParseFaultMint reads "subnet=0xaccount:wei" (the ASPEN_FAULT_MINT value).
func ParseFaultMint(s string) (*FaultMint, error) {
	id, rest, ok := strings.Cut(s, "=")
	addr, wei, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || !common.IsHexAddress(addr) {
		return nil, fmt.Errorf("evm: fault %q: want subnet=0xaccount:wei", s)
	}
	sub, err := types.ParseSubnetID(id)
	if err != nil {
		return nil, fmt.Errorf("evm: fault %q: %w", s, err)
	}
	amount, ok := new(big.Int).SetString(wei, 10)
	if !ok || amount.Sign() <= 0 || amount.BitLen() > 255 {
		return nil, fmt.Errorf("evm: fault %q: %q is not a positive amount of wei", s, wei)
	}
	return &FaultMint{Subnet: sub, Account: common.HexToAddress(addr), Amount: amount}, nil
}

// forge applies the fault to tx, applied from `from`, if it triggers it.
func (f *FaultMint) forge(r *blockRun, tx *gethtypes.Transaction, from common.Address) {
	if f == nil || f.Subnet != r.header.SubnetID || from != f.Account || tx.To() == nil || *tx.To() != from {
		return
	}
	r.statedb.AddBalance(from, uint256.MustFromBig(f.Amount), tracing.BalanceChangeUnspecified)
}
