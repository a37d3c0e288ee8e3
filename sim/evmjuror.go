package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// The juror of a root node in an EVM tree with a jury (evmjury.go): what
// node/juror.go does over its small interfaces, here over the simulator's
// nodes. It reads only its own node's final root state; the child's blocks
// and witnesses it reads straight from a child node's store and executor,
// where a real node fetches them with the witness protocol
// (aspen_getWitness) from the child's nodes.

// serveJury judges, attests and proves fraud for root node i's juror on
// every checkpoint held at its final head in whose current jury it sits
// and has not attested yet.
func (t *evmTree) serveJury(i int) {
	j, n := t.jury, t.chains[0].nodes[i]
	jn, me := j.nodes[i], t.acct(i)
	head := n.app.head().Header
	rs, err := n.app.real.exec.GatewayState(head)
	if err != nil {
		return
	}
	hashes := func(h uint64) common.Hash {
		if h > n.app.height() {
			return common.Hash{}
		}
		return n.app.chain[h].Block.Hash()
	}
	for c := 1; c < len(t.ids); c++ {
		held, err := gateway.HeldCheckpoints(rs, evmRoot, t.ids[c])
		if err != nil {
			continue
		}
		for _, hc := range held {
			if hc.State != gateway.JuryPending {
				continue
			}
			r, err := gateway.JurySeats(rs, hashes, evmRoot, t.ids[c], hc.Height, head.Height+1)
			if err != nil || !seated(r, me) || voted(r, me) {
				continue
			}
			key := sentKey{hc.Hash, r.Round}
			if at, ok := jn.sent[key]; ok && t.now < at+juryResend {
				continue
			}
			if i == j.liar || j.p.knobs.lieAll {
				t.attest(i, c, hc, true)
				jn.sent[key] = t.now
				continue
			}
			if _, ok := jn.seen[hc.Hash]; !ok {
				jn.seen[hc.Hash] = t.now
			}
			if t.now < jn.seen[hc.Hash]+judgeTicks {
				continue // fetching and re-executing the period takes time
			}
			v := jn.verdicts[hc.Hash]
			if v == nil {
				if v, err = t.judge(c, hc); err != nil {
					continue // no verdict yet: judge again after the next block
				}
				jn.verdicts[hc.Hash] = v
			}
			jn.sent[key] = t.now
			if v.proof != nil {
				// As node/juror.go: the proof discards the checkpoint, so
				// nothing is left to attest; one that does not estimate (a
				// proof landed first) is not sent. Its gas grows with the
				// witness and the signers slashed: estimated, as a node does.
				gas, err := n.app.real.exec.EstimateGas(context.Background(), head, execution.CallArgs{From: me, To: &gateway.Address, Data: v.proof}, nil)
				if err == nil {
					t.work[0].add(t.now, me, t.tx(t.rootGen.ChainID, i, gateway.Address, new(big.Int), gas+gas/5, v.proof))
				}
				continue
			}
			t.attest(i, c, hc, v.valid)
		}
	}
}

func seated(r gateway.JuryRound, me common.Address) bool {
	for _, s := range r.Seats {
		if s.Account == me {
			return true
		}
	}
	return false
}

func voted(r gateway.JuryRound, me common.Address) bool {
	for _, v := range r.Votes {
		if v.Account == me {
			return true
		}
	}
	return false
}

// attest sends root node i's attestation of hc, signed with the BLS key it
// bonded with.
func (t *evmTree) attest(i, c int, hc gateway.HeldCheckpoint, valid bool) {
	key, err := t.blsKey(0, i)
	if err != nil {
		panic(err) // derived keys of the run's nodes
	}
	id := t.ids[c]
	sig := key.Sign(gateway.AttestationBytes(evmNetwork, id, hc.Height, hc.Hash, valid))
	tx, err := t.gwTx(t.rootGen.ChainID, i, nil, "attest", string(id), hc.Height, [32]byte(hc.Hash), valid, sig)
	if err != nil {
		panic(err) // packing a known method with well-typed arguments
	}
	t.work[0].add(t.now, t.acct(i), tx)
}

// judge re-executes the period of child c's held checkpoint hc, block by
// block, with the stateless executor on each block's witness. A block that
// does not execute to its header makes the verdict invalid, with the
// fraud proof's call data; err means no verdict yet (the checkpoint's
// submission not seen, the child's blocks not final on a node that is up).
func (t *evmTree) judge(c int, hc gateway.HeldCheckpoint) (*juryVerdict, error) {
	j := t.jury
	sub, ok := j.ckpts[hc.Hash]
	if !ok {
		return nil, fmt.Errorf("checkpoint %s not seen submitted", hc.Hash)
	}
	cp, prevHeight, prevEnc := sub.cp, uint64(0), []byte{}
	if cp.Prev != (common.Hash{}) {
		prev, ok := j.ckpts[cp.Prev]
		if !ok {
			return nil, fmt.Errorf("previous checkpoint %s not seen submitted", cp.Prev)
		}
		prevHeight, prevEnc = prev.cp.Height, prev.enc
	}
	var cn *node
	for _, n := range t.chains[c].nodes {
		if n.up() && n.app.height() >= cp.Height {
			cn = n
			break
		}
	}
	if cn == nil {
		return nil, fmt.Errorf("no child node is up with block %d", cp.Height)
	}
	top := cn.app.chain[cp.Height].Block
	if top.Hash() != cp.BlockHash || top.Header.StateRoot != cp.StateRoot {
		return &juryVerdict{reason: fmt.Sprintf("checkpoint %d names block %s root %s, the child's is %s root %s", cp.Height, cp.BlockHash, cp.StateRoot, top.Hash(), top.Header.StateRoot)}, nil
	}
	sl, err := t.statelessFor(c)
	if err != nil {
		return nil, err
	}
	for h := prevHeight + 1; h <= cp.Height; h++ {
		b := cn.app.chain[h].Block
		w, err := cn.app.real.exec.Witness(b.Hash())
		if err != nil {
			return nil, err
		}
		_, verr := sl.Verify(w, b)
		switch {
		case verr == nil:
			continue
		case !errors.Is(verr, evm.ErrWitnessMismatch):
			return nil, verr // an incomplete witness proves nothing
		}
		var headers []*types.Header
		for k := cp.Height; k > h; k-- {
			headers = append(headers, cn.app.chain[k].Block.Header)
		}
		hs, err := rlp.EncodeToBytes(headers)
		if err != nil {
			return nil, err
		}
		blockEnc, err := types.EncodeBlock(b)
		if err != nil {
			return nil, err
		}
		wEnc, err := w.Encode()
		if err != nil {
			return nil, err
		}
		ref := gateway.EncodeFraudRef(gateway.FraudRef{Checkpoint: sub.enc, Bitmap: sub.bitmap, Prev: prevEnc})
		proof, err := t.gw.Pack("proveFraud", string(t.ids[c]), ref, hs, blockEnc, wEnc)
		if err != nil {
			return nil, err
		}
		return &juryVerdict{reason: verr.Error(), proof: proof}, nil
	}
	return &juryVerdict{valid: true}, nil
}

// statelessFor is the jurors' stateless executor of child c, for the
// genesis its nodes run.
func (t *evmTree) statelessFor(c int) (*evm.Stateless, error) {
	j := t.jury
	if j.stateless == nil {
		j.stateless = make([]*evm.Stateless, len(t.ids))
	}
	if j.stateless[c] == nil {
		gen, err := t.childGenesis(t.cgs[c], t.chains[0].nodes[0].app.chain[t.cgs[c].ActivatedAt].Block.Header)
		if err != nil {
			return nil, err
		}
		if j.stateless[c], err = evm.NewStateless(gen, evm.Options{}); err != nil {
			return nil, err
		}
	}
	return j.stateless[c], nil
}

// checkRootBlocks checks every block root node i finalized since the last
// call, on its real state: no payout of a checkpoint vouching for a forged
// block (released, or paid at an unheld commit), the forged release's root
// address empty, no checkpoint paid twice. It records what the final
// checks need and indexes submitted checkpoints for the jurors.
func (t *evmTree) checkRootBlocks(i int) {
	j, n := t.jury, t.chains[0].nodes[i]
	jn := j.nodes[i]
	x := n.app.real.exec
	for ; jn.checked < n.app.height() && t.fail == nil; jn.checked++ {
		b := n.app.chain[jn.checked+1].Block
		rcpts, err := x.Receipts(b.Hash())
		if err != nil {
			t.failf(ErrValidity, "receipts of root block %d on node %d: %v", b.Height(), i, err)
			return
		}
		for k, tx := range b.Txs {
			if k < len(rcpts) && rcpts[k].Status == 1 && tx.To() != nil && *tx.To() == gateway.Address && bytes.HasPrefix(tx.Data(), t.chains[0].ckptSelector) {
				j.index(t, tx.Data())
			}
		}
		for _, r := range rcpts {
			t.juryEvents(i, b.Height(), r.Logs)
		}
		if j.mint != nil {
			if got, err := x.Balance(b.Header, j.forgedDst); err != nil || got.Sign() != 0 {
				t.failf(ErrForgedPayout, "node %d, root block %d: the forged release's address holds %v (%v)", i, b.Height(), got, err)
			}
		}
	}
}

// index records a submitCheckpoint call's checkpoint and signer bitmap.
func (j *juryRun) index(t *evmTree, data []byte) {
	args, err := t.gw.Methods["submitCheckpoint"].Inputs.Unpack(data[4:])
	if err != nil {
		return
	}
	enc, bitmap := args[0].([]byte), args[2].([]byte)
	cp, err := types.DecodeCheckpoint(enc)
	if err != nil {
		return
	}
	if _, ok := j.ckpts[cp.Hash()]; !ok {
		j.ckpts[cp.Hash()] = ckptSubmission{enc: enc, bitmap: bitmap, cp: cp}
	}
}
