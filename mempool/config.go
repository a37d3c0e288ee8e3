package mempool

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// MaxTxSize is the largest encoded transaction the pool accepts (go-ethereum's
// txMaxSize: four 32 KiB slots).
const MaxTxSize = 4 * 32 * 1024

// Config bounds the pool. Zero fields take the DefaultConfig value.
type Config struct {
	// AccountSlots executable transactions per sender are guaranteed a place;
	// a sender may hold more while the pool has room, and those extra ones are
	// the first evicted when it fills.
	AccountSlots int
	// GlobalSlots caps executable transactions in the whole pool.
	GlobalSlots int
	// AccountQueue is how far beyond its next executable nonce a sender may
	// queue transactions (so also its queued maximum).
	AccountQueue int
	// GlobalQueue caps queued (nonce-gapped) transactions in the whole pool.
	GlobalQueue int
	// PriceBump is the percentage by which a replacement must raise both the
	// fee cap and the tip of the transaction it replaces.
	PriceBump int
	// MinTip is the least max priority fee per gas accepted, in wei.
	MinTip *big.Int
	// AllowUnprotected admits legacy transactions signed without a chain ID
	// (needed only for presigned deployments such as the CREATE2 factory).
	AllowUnprotected bool
}

// DefaultConfig is go-ethereum's legacypool default.
func DefaultConfig() Config {
	return Config{
		AccountSlots: 16,
		GlobalSlots:  4096 + 1024,
		AccountQueue: 64,
		GlobalQueue:  1024,
		PriceBump:    10,
		MinTip:       big.NewInt(1),
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.AccountSlots <= 0 {
		c.AccountSlots = d.AccountSlots
	}
	if c.GlobalSlots <= 0 {
		c.GlobalSlots = d.GlobalSlots
	}
	if c.AccountQueue <= 0 {
		c.AccountQueue = d.AccountQueue
	}
	if c.GlobalQueue <= 0 {
		c.GlobalQueue = d.GlobalQueue
	}
	if c.PriceBump <= 0 {
		c.PriceBump = d.PriceBump
	}
	if c.MinTip == nil {
		c.MinTip = d.MinTip
	}
	c.MinTip = new(big.Int).Set(c.MinTip)
	return c
}

// State is what the pool reads from the head state: the committed nonce and
// balance of an account. Implementations must be safe for concurrent use and
// must not modify a returned balance later (the pool keeps it); the pool never
// calls them while holding its lock.
type State interface {
	Nonce(addr common.Address) uint64
	Balance(addr common.Address) *big.Int
}
