package mempool

import (
	"errors"

	"github.com/ethereum/go-ethereum/core/types"
)

// Validation errors, with go-ethereum's exact messages (core, core/txpool,
// core/txpool/legacypool). Callers test them with errors.Is.
var (
	ErrAlreadyKnown       = errors.New("already known")
	ErrInvalidSender      = errors.New("invalid sender")
	ErrReplaceUnderpriced = errors.New("replacement transaction underpriced")
	ErrTxGasPriceTooLow   = errors.New("transaction gas price below minimum")
	ErrGasLimit           = errors.New("exceeds block gas limit")
	ErrNegativeValue      = errors.New("negative value")
	ErrOversizedData      = errors.New("oversized data")
	ErrTxPoolOverflow     = errors.New("txpool is full")

	ErrNonceTooLow             = errors.New("nonce too low")
	ErrNonceTooHigh            = errors.New("nonce too high")
	ErrNonceMax                = errors.New("nonce has max value")
	ErrInsufficientFunds       = errors.New("insufficient funds for gas * price + value")
	ErrIntrinsicGas            = errors.New("intrinsic gas too low")
	ErrFloorDataGas            = errors.New("insufficient gas for floor data gas cost")
	ErrTipAboveFeeCap          = errors.New("max priority fee per gas higher than max fee per gas")
	ErrTipVeryHigh             = errors.New("max priority fee per gas higher than 2^256-1")
	ErrFeeCapVeryHigh          = errors.New("max fee per gas higher than 2^256-1")
	ErrFeeCapTooLow            = errors.New("max fee per gas less than block base fee")
	ErrMaxInitCodeSizeExceeded = errors.New("max initcode size exceeded")
	ErrEmptyAuthList           = errors.New("EIP-7702 transaction with empty auth list")

	// ErrUnprotectedTx rejects legacy transactions signed without a chain ID:
	// they could be replayed on every subnet (ARCHITECTURE §1, chain ID).
	ErrUnprotectedTx = errors.New("only replay-protected (EIP-155) transactions allowed")

	// ErrTxTypeNotSupported ("transaction type not supported") is returned for
	// blob transactions, which Aspen does not carry, and unknown types.
	ErrTxTypeNotSupported = types.ErrTxTypeNotSupported
	// ErrInvalidChainID is go-ethereum's "invalid chain id for signer".
	ErrInvalidChainID = types.ErrInvalidChainId
)
