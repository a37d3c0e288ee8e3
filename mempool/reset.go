package mempool

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reset moves the pool to a new head after a block commits: st is the state
// after it, baseFee and gasLimit those of the next block, included the
// block's transactions. It drops included and otherwise stale transactions
// (nonce below the state's), those the sender can no longer pay for or that
// exceed gasLimit, demotes what now follows a gap and promotes what a nonce
// jump made executable. The state is read outside the pool lock.
func (p *Pool) Reset(st State, baseFee *big.Int, gasLimit uint64, included []*types.Transaction) {
	hashes := make([]common.Hash, len(included))
	for i, tx := range included {
		hashes[i] = tx.Hash()
	}
	if baseFee != nil {
		baseFee = new(big.Int).Set(baseFee)
	}

	p.mu.Lock()
	p.mu.state, p.mu.baseFee, p.mu.gasLimit = st, baseFee, gasLimit
	p.mu.gen++
	gen := p.mu.gen
	addrs := make([]common.Address, 0, len(p.mu.accounts))
	for addr := range p.mu.accounts {
		addrs = append(addrs, addr)
	}
	p.mu.Unlock()

	nonces := make([]uint64, len(addrs))
	balances := make([]*big.Int, len(addrs))
	for i, addr := range addrs {
		nonces[i] = st.Nonce(addr)
		if balances[i] = st.Balance(addr); balances[i] == nil {
			balances[i] = new(big.Int)
		}
	}

	p.mu.Lock()
	if p.mu.gen != gen {
		// A later Reset overtook this one and syncs every account itself.
		p.mu.Unlock()
		return
	}
	var promoted []*poolTx
	for i, addr := range addrs {
		if a := p.mu.accounts[addr]; a != nil {
			promoted = append(promoted, p.syncLocked(a, nonces[i], balances[i], true)...)
		}
	}
	// Syncing to the new nonces dropped the included transactions; this only
	// catches a state that does not reflect the block (a bug elsewhere).
	for _, h := range hashes {
		if t := p.mu.all[h]; t != nil {
			a := p.mu.accounts[t.from]
			if i, ok := a.find(t.nonce); ok && a.txs[i] == t {
				p.evictLocked(a, i)
			}
		}
	}
	if p.mu.pending > p.cfg.GlobalSlots {
		p.truncatePendingLocked()
	}
	fresh := appendPendingLocked(nil, promoted)
	p.mu.Unlock()
	p.notify(fresh)
}
