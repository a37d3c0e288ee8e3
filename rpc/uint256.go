package rpc

import (
	"math/big"

	"github.com/holiman/uint256"
)

func uint256From(b *big.Int) *uint256.Int {
	u, _ := uint256.FromBig(b)
	return u
}
