package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// chainJuryBook is the juryBook of one chain on this node: the jury
// records of its gateway (gateway.HeldCheckpoints, gateway.JurySeats) and
// the checkpoints as submitted in its blocks.
type chainJuryBook struct {
	c *chain
}

var _ juryBook = (*chainJuryBook)(nil)

// Duties lists the pending checkpoints of the chain's children in whose
// current jury round me holds a seat it has not attested with. An account
// that never bonded costs one storage read.
func (b *chainJuryBook) Duties(st gateway.StateReader, me common.Address) ([]juryDuty, error) {
	if _, ok := gateway.JurorOf(st, me); !ok {
		return nil, nil
	}
	at := b.c.Final().Height + 1 // the block an attestation sent now lands in, at the earliest
	var out []juryDuty
	for _, child := range gateway.ReadChildren(st, b.c.id) {
		held, err := gateway.HeldCheckpoints(st, b.c.id, child)
		if err != nil {
			return nil, err
		}
		for _, h := range held {
			if h.State != gateway.JuryPending {
				continue
			}
			r, err := gateway.JurySeats(st, b.hashAt, b.c.id, child, h.Height, at)
			if err != nil {
				continue // its round's seed block is not final yet
			}
			if seated(r, me) {
				out = append(out, juryDuty{Child: child, Height: h.Height, Hash: h.Hash, CommittedAt: h.CommittedAt})
			}
		}
	}
	return out, nil
}

// seated reports whether me holds a seat of round r and has not attested
// (an attestation counts in every round that draws its juror again).
func seated(r gateway.JuryRound, me common.Address) bool {
	for _, v := range r.Votes {
		if v.Account == me {
			return false
		}
	}
	for _, s := range r.Seats {
		if s.Account == me {
			return true
		}
	}
	return false
}

func (b *chainJuryBook) hashAt(n uint64) common.Hash {
	h, err := b.c.HeaderAt(n)
	if err != nil {
		return common.Hash{}
	}
	return h.Hash()
}

func (b *chainJuryBook) AttestationBytes(d juryDuty, valid bool) []byte {
	return gateway.AttestationBytes(b.c.id.Network(), d.Child, d.Height, d.Hash, valid)
}

func (b *chainJuryBook) AttestCall(d juryDuty, valid bool, sig []byte) ([]byte, error) {
	return gatewayABI.Pack("attest", string(d.Child), d.Height, [32]byte(d.Hash), valid, sig)
}

func (b *chainJuryBook) FraudCall(d juryDuty, p *fraudMaterial) ([]byte, error) {
	return gatewayABI.Pack("proveFraud", string(d.Child), p.Ref, p.Headers, p.Block, p.Witness)
}

// errNoSubmission: the block that committed a checkpoint holds no
// successful submitCheckpoint of it (a pruned or inconsistent store).
var errNoSubmission = errors.New("no successful submitCheckpoint of it in the block that committed it")

// submitted is a checkpoint as its committing transaction carried it.
type submitted struct {
	cp      *types.Checkpoint
	enc     []byte
	aggSig  []byte
	bitmap  []byte
	blockAt uint64
}

// submission finds the checkpoint of child at height with hash in the
// chain's block at: the first transaction of the block that called the
// gateway's submitCheckpoint with it and succeeded — the one that
// committed it (a later one in the same block is a no-op with perhaps
// another bitmap, which the gateway's seal does not hold).
func (b *chainJuryBook) submission(at uint64, child types.SubnetID, height uint64, hash common.Hash) (*submitted, error) {
	block, err := b.c.store.BlockByNumber(at)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", at, err)
	}
	receipts, err := b.c.store.Receipts(block.Hash(), gethtypes.LatestSignerForChainID(b.c.gen.ChainIDBig()))
	if err != nil {
		return nil, fmt.Errorf("receipts of block %d: %w", at, err)
	}
	method := gatewayABI.Methods["submitCheckpoint"]
	for i, tx := range block.Txs {
		data := tx.Data()
		if tx.To() == nil || *tx.To() != gateway.Address || len(data) < 4 || !bytes.Equal(data[:4], method.ID) ||
			i >= len(receipts) || receipts[i].Status != 1 {
			continue
		}
		args, err := method.Inputs.Unpack(data[4:])
		if err != nil || len(args) != 3 {
			continue
		}
		enc, _ := args[0].([]byte)
		cp, err := types.DecodeCheckpoint(enc)
		if err != nil || types.SubnetID(cp.Subnet) != child || cp.Height != height || cp.Hash() != hash {
			continue
		}
		aggSig, _ := args[1].([]byte)
		bitmap, _ := args[2].([]byte)
		return &submitted{cp: cp, enc: enc, aggSig: aggSig, bitmap: bitmap, blockAt: at}, nil
	}
	return nil, fmt.Errorf("checkpoint %d of %s at block %d: %w", height, child, at, errNoSubmission)
}

// previous finds the checkpoint before s (nil before the first): it was
// the newest committed one in the state before s's block.
func (b *chainJuryBook) previous(s *submitted, period uint64) (*submitted, error) {
	if s.cp.Height <= period {
		return nil, nil
	}
	st, err := b.c.GatewayAt(s.blockAt - 1)
	if err != nil {
		return nil, fmt.Errorf("gateway state before block %d: %w", s.blockAt, err)
	}
	at := gateway.LastCheckpointAt(st, b.c.id, types.SubnetID(s.cp.Subnet))
	if at == 0 {
		return nil, fmt.Errorf("no checkpoint of %s committed before block %d", s.cp.Subnet, s.blockAt)
	}
	return b.submission(at, types.SubnetID(s.cp.Subnet), s.cp.Height-period, s.cp.Prev)
}

// nodeJudge judges a duty with the node's VerifyPeriod, on the checkpoint
// as its committing transaction carried it, and turns a verdict with a
// proof into proveFraud's arguments.
type nodeJudge struct {
	n    *Node
	book *chainJuryBook
}

var _ periodJudge = nodeJudge{}

func (j nodeJudge) Judge(ctx context.Context, d juryDuty) (judgement, error) {
	s, err := j.book.submission(d.CommittedAt, d.Child, d.Height, d.Hash)
	if err != nil {
		return judgement{}, err
	}
	v, err := j.n.VerifyPeriod(ctx, d.Child, s.cp)
	if err != nil {
		return judgement{}, err
	}
	if v.Valid {
		return judgement{Valid: true, Reason: fmt.Sprintf("%d blocks re-executed from %d bytes", v.Blocks, v.Bytes)}, nil
	}
	out := judgement{Reason: fmt.Sprintf("block %d: %s", v.BadHeight, v.Reason)}
	if v.Proof == nil {
		return out, nil
	}
	gs, _, err := headGateway(j.book.c)
	if err != nil {
		return judgement{}, err
	}
	cg, err := gateway.ReadChildGenesis(gs, j.book.c.id, d.Child)
	if err != nil {
		return judgement{}, err
	}
	prev, err := j.book.previous(s, uint64(cg.Params.CheckpointPeriod))
	if err != nil {
		return judgement{}, fmt.Errorf("the checkpoint before %s, for the fraud proof: %w", d, err)
	}
	ref := gateway.FraudRef{Bitmap: s.bitmap}
	if ref.Checkpoint, err = types.EncodeCheckpoint(s.cp); err != nil {
		return judgement{}, err
	}
	if prev != nil {
		if ref.Prev, err = types.EncodeCheckpoint(prev.cp); err != nil {
			return judgement{}, err
		}
	}
	m := &fraudMaterial{Ref: gateway.EncodeFraudRef(ref)}
	if m.Headers, m.Block, m.Witness, err = v.Proof.Args(); err != nil {
		return judgement{}, err
	}
	out.Fraud = m
	return out, nil
}

// startJuror runs rt's juror when the node has a validator key and a
// network to fetch periods over: it judges only once the node's account
// bonded on rt's gateway (aspen jury join), and otherwise costs one
// storage read per final head.
func (n *Node) startJuror(ctx context.Context, rt *runtime) {
	if n.witnesses == nil || n.keys.bls == nil {
		return
	}
	book := &chainJuryBook{c: &rt.chain}
	labels := prometheus.Labels{"subnet": string(rt.id)}
	j := newJuror(&rt.chain, book, nodeJudge{n: n, book: book}, rt.sys, n.keys.account.address, n.keys.bls, rt.log,
		jurorMetrics{verdicts: n.metrics.juryVerdicts.MustCurryWith(labels), failures: n.metrics.juryFailures.With(labels)})
	if j.lies = jurorLies(n.cfg.Name, j.me); j.lies {
		rt.log.Warn("FAULT INJECTION: this node's juror attests every checkpoint valid without judging it (ASPEN_FAULT_JUROR_LIES); for tests only")
	}
	rt.spawn(func() { j.run(ctx, &rt.heads) })
}

// jurorMissedEvent is the gateway's JurorMissed event.
var jurorMissedEvent = gatewayABI.Events["JurorMissed"]

// countJuryMisses adds the seats of the JurorMissed events among a
// committed block's logs to aspen_jury_missed_seats_total.
func (rt *runtime) countJuryMisses(logs []*gethtypes.Log) {
	for _, l := range logs {
		if l.Address != gateway.Address || len(l.Topics) == 0 || l.Topics[0] != jurorMissedEvent.ID {
			continue
		}
		fields := map[string]any{}
		if err := jurorMissedEvent.Inputs.UnpackIntoMap(fields, l.Data); err != nil {
			continue
		}
		if seats, ok := fields["seats"].(uint32); ok {
			rt.metrics.juryMissed.WithLabelValues(string(rt.id)).Add(float64(seats))
		}
	}
}
