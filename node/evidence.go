package node

import (
	"context"
	"time"

	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// reportEvidence sends the equivocations a child block carries to the
// parent's gateway (submitEvidence), which slashes the equivocator. Only the
// node that proposed the block reports it, so one transaction pays per
// offence; the gateway takes a repeat as a cheap no-op anyway. Errors are
// logged: anyone may still submit the same evidence.
func (rt *runtime) reportEvidence(key sequencerKey, b *types.Block, vs []types.Validator) {
	if rt.parent == nil || len(b.Evidence) == 0 || b.Header.Proposer != key.address {
		return
	}
	for _, enc := range b.Evidence {
		ev, err := bft.DecodeEvidence(enc)
		if err != nil || int(ev.A.Validator) >= len(vs) {
			continue // the executor checked it against the set; the set moved since
		}
		d := gateway.DoubleVote{Key: vs[ev.A.Validator].BLSPublicKey, A: ev.A, B: ev.B}
		data, err := gatewayABI.Pack("submitEvidence", string(rt.id), gateway.EncodeDoubleVote(d))
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		gas, err := rt.parent.estimate(ctx, key.address, gateway.Address, data)
		cancel()
		if err != nil {
			rt.log.Warn("equivocation evidence not reported to the parent", "height", ev.A.Height, "validator", ev.A.Validator, "err", err)
			continue
		}
		tx, err := rt.parent.sendSystemTx(key, gateway.Address, data, gas+gas/5)
		if err != nil {
			rt.log.Warn("equivocation evidence not reported to the parent", "height", ev.A.Height, "err", err)
			continue
		}
		rt.log.Info("equivocation reported to the parent", "height", ev.A.Height, "validator", vs[ev.A.Validator].Address, "tx", tx.Hash())
	}
}
