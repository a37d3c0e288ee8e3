package mempool

import (
	"fmt"
	"math/big"
)

// addLocked is the half of admission that needs the pool: duplicate, head
// (gas limit, base fee), nonce, balance and capacity checks, then insertion.
// It returns the transactions that became executable.
func (p *Pool) addLocked(c *checked) ([]*poolTx, error) {
	t := c.ptx
	if _, ok := p.mu.all[t.hash]; ok {
		return nil, ErrAlreadyKnown
	}
	if p.mu.gasLimit != 0 && t.gas > p.mu.gasLimit {
		return nil, fmt.Errorf("%w: gas %d, block gas limit %d", ErrGasLimit, t.gas, p.mu.gasLimit)
	}
	if p.mu.baseFee != nil && t.feeCap.Cmp(p.mu.baseFee) < 0 {
		return nil, fmt.Errorf("%w: max fee per gas %v, base fee %v", ErrFeeCapTooLow, t.feeCap, p.mu.baseFee)
	}
	var promoted []*poolTx
	a := p.mu.accounts[t.from]
	isNew := a == nil
	if isNew {
		a = newAccount(t.from, c.nonce, c.balance)
	} else {
		promoted = p.syncLocked(a, c.nonce, c.balance, false)
		isNew = p.mu.accounts[t.from] != a // the sync emptied and dropped it
	}
	if t.nonce < a.stateNonce {
		return promoted, fmt.Errorf("%w: next nonce %d, tx nonce %d", ErrNonceTooLow, a.stateNonce, t.nonce)
	}
	i, exists := a.find(t.nonce)
	if exists {
		prom, err := p.replaceLocked(a, i, t)
		return append(promoted, prom...), err
	}
	if limit := a.nextNonce() + uint64(p.cfg.AccountQueue); t.nonce > limit {
		return promoted, fmt.Errorf("%w: tx nonce %d, next nonce %d; at most %d nonces ahead are queued, send the missing ones first",
			ErrNonceTooHigh, t.nonce, a.nextNonce(), p.cfg.AccountQueue)
	}
	need := new(big.Int).Add(a.cost, t.cost)
	if a.balance.Cmp(need) < 0 {
		if a.cost.Sign() == 0 {
			return promoted, fmt.Errorf("%w: balance %v, tx cost %v, overshot %v",
				ErrInsufficientFunds, a.balance, t.cost, new(big.Int).Sub(need, a.balance))
		}
		return promoted, fmt.Errorf("%w: balance %v, queued cost %v, tx cost %v, overshot %v",
			ErrInsufficientFunds, a.balance, a.cost, t.cost, new(big.Int).Sub(need, a.balance))
	}
	if err := p.makeRoomLocked(t, t.nonce == a.nextNonce()); err != nil {
		return promoted, err
	}
	p.mu.seq++
	t.seq = p.mu.seq
	if isNew {
		p.mu.accounts[t.from] = a
	}
	p.mu.all[t.hash] = t
	before := a.counts()
	a.insert(i, t)
	promoted = append(promoted, a.relink()...)
	p.applyLocked(a, before)
	if p.mu.pending > p.cfg.GlobalSlots {
		p.truncatePendingLocked()
	}
	return promoted, nil
}

// replaceLocked puts t in place of a.txs[i], which has the same nonce, if t
// raises both the fee cap and the tip by PriceBump percent.
func (p *Pool) replaceLocked(a *account, i int, t *poolTx) ([]*poolTx, error) {
	old := a.txs[i]
	if !p.bumps(old, t) {
		// Plain, byte for byte as go-ethereum says it: wallets compare it to
		// offer "speed up" with a higher fee.
		return nil, ErrReplaceUnderpriced
	}
	need := new(big.Int).Sub(a.cost, old.cost)
	need.Add(need, t.cost)
	if a.balance.Cmp(need) < 0 {
		return nil, fmt.Errorf("%w: balance %v, queued cost %v, tx bumped %v, overshot %v",
			ErrInsufficientFunds, a.balance, a.cost, new(big.Int).Sub(t.cost, old.cost), new(big.Int).Sub(need, a.balance))
	}
	p.mu.seq++
	t.seq = p.mu.seq
	delete(p.mu.all, old.hash)
	p.mu.all[t.hash] = t
	before := a.counts()
	a.removeAt(i)
	a.insert(i, t)
	prom := a.relink()
	p.applyLocked(a, before)
	return prom, nil
}

// bumps reports whether repl may replace old: both its fee cap and its tip are
// higher, by at least PriceBump percent (go-ethereum's rule).
func (p *Pool) bumps(old, repl *poolTx) bool {
	if old.feeCap.Cmp(repl.feeCap) >= 0 || old.tip.Cmp(repl.tip) >= 0 {
		return false
	}
	pct := big.NewInt(int64(100 + p.cfg.PriceBump))
	hundred := big.NewInt(100)
	minFeeCap := new(big.Int).Mul(old.feeCap, pct)
	minFeeCap.Div(minFeeCap, hundred)
	minTip := new(big.Int).Mul(old.tip, pct)
	minTip.Div(minTip, hundred)
	return repl.feeCap.Cmp(minFeeCap) >= 0 && repl.tip.Cmp(minTip) >= 0
}

// syncLocked brings a to the state nonce and balance read from the current
// head: it drops transactions already mined (nonce below nonce), those the
// balance cannot pay for and those over the block gas limit, then recomputes
// what is executable. Without force it does nothing if neither value moved.
func (p *Pool) syncLocked(a *account, nonce uint64, balance *big.Int, force bool) []*poolTx {
	if !force && nonce == a.stateNonce && balance.Cmp(a.balance) == 0 {
		return nil
	}
	before := a.counts()
	a.stateNonce, a.balance = nonce, balance
	kept := a.txs[:0]
	for _, t := range a.txs {
		if t.nonce < nonce || t.cost.Cmp(balance) > 0 || (p.mu.gasLimit != 0 && t.gas > p.mu.gasLimit) {
			delete(p.mu.all, t.hash)
			a.cost.Sub(a.cost, t.cost)
			continue
		}
		kept = append(kept, t)
	}
	clear(a.txs[len(kept):])
	a.txs = kept
	promoted := a.relink()
	p.applyLocked(a, before)
	return promoted
}

// applyLocked adjusts the pool totals by a's change since before and forgets
// a once it holds nothing.
func (p *Pool) applyLocked(a *account, before counts) {
	p.mu.pending += a.pending - before.pending
	p.mu.queued += a.queued() - before.queued
	p.mu.pendingGas = p.mu.pendingGas - before.gas + a.pendingGas
	if len(a.txs) == 0 {
		delete(p.mu.accounts, a.addr)
	}
}
