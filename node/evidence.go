package node

import (
	"context"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// reportCommitted runs on the driver goroutine after block b committed;
// vs is the set that decided b. It reports the equivocations b carries and
// those the engine set aside because a set change removed the equivocator
// before a block could carry them (consensus.EvidenceKeeper): the child can
// no longer prove those, but the parent knows the key and can.
func (rt *runtime) reportCommitted(b *types.Block, vs []types.Validator) {
	if rt.parentTxs == nil {
		return
	}
	var dvs [][]byte // engine evidence for the parent (Kind.Evidence decodes it)
	// Only the node that proposed the block reports what it carries, so one
	// transaction pays per offence; the gateway takes a repeat as a cheap
	// no-op anyway.
	if len(b.Evidence) > 0 && b.Header.Proposer == rt.account.address {
		dvs = append(dvs, rt.blockEvidence(b, vs)...)
	}
	if k, ok := rt.engine.(consensus.EvidenceKeeper); ok {
		// Every node that held one reports it: no block names a reporter.
		dvs = append(dvs, k.TakeOrphanedReports()...)
	}
	if len(dvs) > 0 {
		go reportEvidence(rt.log, rt.parentTxs, rt.id, rt.kind, dvs) // off the driver's goroutine
	}
}

// blockEvidence turns the equivocations in b, whose evidence may index
// validators by seat in vs (the set that decided b), into evidence for the
// parent, through the engine's kind.
func (rt *runtime) blockEvidence(b *types.Block, vs []types.Validator) [][]byte {
	if rt.kind.ReportEvidence == nil {
		return nil
	}
	var out [][]byte
	for _, enc := range b.Evidence {
		payload, err := rt.kind.ReportEvidence(vs, enc)
		if err != nil {
			continue // cannot happen: the engine checked it against vs
		}
		out = append(out, payload)
	}
	return out
}

// reportEvidence sends equivocations in subnet (engine evidence, decoded
// for the logs by kind) to the parent's gateway (submitEvidence) through the
// parent chain's nonce owner; the gateway slashes the equivocator. Errors are
// logged: anyone may still submit the same evidence.
func reportEvidence(log *slog.Logger, parent gatewayCaller, subnet types.SubnetID, kind consensus.Kind, dvs [][]byte) {
	for _, payload := range dvs {
		var d consensus.Offence // for the logs: who, at which height
		if kind.Evidence != nil {
			d, _ = kind.Evidence(subnet, payload)
		}
		data, err := gatewayABI.Pack("submitEvidence", string(subnet), gateway.EncodeEngineEvidence(payload))
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		tx, _, err := parent.CallGateway(ctx, data)
		cancel()
		if err != nil {
			log.Warn("equivocation evidence not reported to the parent", "height", d.Height, "key", hexutil.Encode(d.Key), "err", err)
			continue
		}
		log.Info("equivocation reported to the parent", "height", d.Height, "key", hexutil.Encode(d.Key), "tx", tx)
	}
}
