package mempool

import (
	"fmt"
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// poolTx is a validated transaction with what the pool reads often decoded
// once. Every field but pending is immutable after validation, so a Source can
// read them without the pool lock.
type poolTx struct {
	tx     *types.Transaction
	hash   common.Hash
	from   common.Address
	nonce  uint64
	gas    uint64
	feeCap *big.Int
	tip    *big.Int
	cost   *big.Int // gas * feeCap + value: the most it can spend
	seq    uint64   // arrival order, breaks ties between equal tips

	pending bool // guarded by Pool.mu
}

// effectiveTip is what the block producer earns per gas at baseFee:
// min(tip, feeCap - baseFee). It is negative when feeCap < baseFee.
func (t *poolTx) effectiveTip(baseFee *big.Int) *big.Int {
	if baseFee == nil {
		return t.tip
	}
	room := new(big.Int).Sub(t.feeCap, baseFee)
	if room.Cmp(t.tip) < 0 {
		return room
	}
	return t.tip
}

// validateStateless runs every check that needs neither the pool nor the
// state: type, size, chain ID, fee sanity, signature (recovering and caching
// the sender on tx), intrinsic gas and the minimum tip. It is the expensive
// part of admission and runs outside the pool lock.
func (p *Pool) validateStateless(tx *types.Transaction) (*poolTx, error) {
	switch tx.Type() {
	case types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType, types.SetCodeTxType:
	default:
		return nil, fmt.Errorf("%w: tx type %d not supported by this pool", ErrTxTypeNotSupported, tx.Type())
	}
	if size := tx.Size(); size > MaxTxSize {
		return nil, fmt.Errorf("%w: transaction size %d, limit %d", ErrOversizedData, size, MaxTxSize)
	}
	if tx.Type() == types.LegacyTxType && !tx.Protected() {
		if !p.cfg.AllowUnprotected {
			return nil, fmt.Errorf("%w: sign it with chain id %v", ErrUnprotectedTx, p.chainID)
		}
	} else if id := tx.ChainId(); id.Cmp(p.chainID) != 0 {
		return nil, fmt.Errorf("%w: have %v want %v", ErrInvalidChainID, id, p.chainID)
	}
	if tx.To() == nil && len(tx.Data()) > params.MaxInitCodeSize {
		return nil, fmt.Errorf("%w: code size %d, limit %d", ErrMaxInitCodeSizeExceeded, len(tx.Data()), params.MaxInitCodeSize)
	}
	if tx.Value().Sign() < 0 {
		return nil, ErrNegativeValue
	}
	feeCap, tip := tx.GasFeeCap(), tx.GasTipCap()
	if feeCap.BitLen() > 256 {
		return nil, ErrFeeCapVeryHigh
	}
	if tip.BitLen() > 256 {
		return nil, ErrTipVeryHigh
	}
	if feeCap.Cmp(tip) < 0 {
		return nil, fmt.Errorf("%w: tip %v, fee cap %v", ErrTipAboveFeeCap, tip, feeCap)
	}
	from, err := types.Sender(p.signer, tx)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSender, err)
	}
	if tx.Nonce() == math.MaxUint64 {
		return nil, ErrNonceMax
	}
	if tx.Value().BitLen() > 256 {
		return nil, ErrInsufficientFunds
	}
	if intr := IntrinsicGas(tx); tx.Gas() < intr {
		return nil, fmt.Errorf("%w: gas %d, minimum needed %d", ErrIntrinsicGas, tx.Gas(), intr)
	}
	if floor := FloorDataGas(tx.Data()); tx.Gas() < floor {
		return nil, fmt.Errorf("%w: gas %d, minimum needed %d", ErrFloorDataGas, tx.Gas(), floor)
	}
	if tip.Cmp(p.cfg.MinTip) < 0 {
		return nil, fmt.Errorf("%w: gas tip cap %v, minimum needed %v", ErrTxGasPriceTooLow, tip, p.cfg.MinTip)
	}
	if tx.Type() == types.SetCodeTxType && len(tx.SetCodeAuthorizations()) == 0 {
		return nil, ErrEmptyAuthList
	}
	return &poolTx{
		tx:     tx,
		hash:   tx.Hash(),
		from:   from,
		nonce:  tx.Nonce(),
		gas:    tx.Gas(),
		feeCap: feeCap,
		tip:    tip,
		cost:   tx.Cost(),
	}, nil
}
