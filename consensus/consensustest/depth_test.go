package consensustest_test

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// depthEngine is a tiny engine with probabilistic finality, for tests only.
// It builds one block on its best chain when told to (mine, then a tick),
// adopts a longer branch a peer sends (the longest chain wins), reports its
// best chain as tentative head moves, names the block below the tip safe,
// and makes final every block depth below the tip. With ignoreFinal it is
// broken on purpose: it adopts branches that fork below its final block, and
// the driver must refuse them.
type depthEngine struct {
	depth  uint64
	ids    []consensus.BlockID // the best chain by height, from genesis
	blocks map[common.Hash]*types.Block
	final  uint64
	// finalBefore is final before the Ready being carried out, and
	// finalHanded final after it: a Verdict against a head block voids the
	// finality that Ready counted, and the driver ignored it.
	finalBefore, finalHanded uint64
	mine                     bool
	building                 bool
	ignoreFinal              bool
	rd                       consensus.Ready
}

var errStale = errors.New("depth engine: branch is not longer than the best chain")

func newDepthEngine(depth uint64, genesis common.Hash) *depthEngine {
	return &depthEngine{depth: depth, ids: []consensus.BlockID{{Height: 0, Hash: genesis}}, blocks: map[common.Hash]*types.Block{}}
}

func (e *depthEngine) tip() consensus.BlockID { return e.ids[len(e.ids)-1] }

func (e *depthEngine) Tick() {
	if e.mine && !e.building {
		tip := e.tip()
		e.rd.Build = &consensus.BuildRequest{Height: tip.Height + 1, Parent: tip.Hash}
		e.building, e.mine = true, false
	}
}

func (e *depthEngine) NextTick() uint64 {
	if e.mine && !e.building {
		return 1
	}
	return consensus.NoTick
}

func (e *depthEngine) Step(msg consensus.Message) error {
	switch m := msg.(type) {
	case consensus.Built:
		e.building = false
		if m.Block.Header.ParentHash != e.tip().Hash {
			return fmt.Errorf("depth engine: built block %d is not on the tip", m.Block.Height())
		}
		e.extend(nil, []*types.Block{m.Block})
	case consensus.BuildFailed:
		e.building = false
	case consensus.PeerMessage:
		var encs [][]byte
		if err := rlp.DecodeBytes(m.Payload, &encs); err != nil || len(encs) == 0 {
			return fmt.Errorf("depth engine: bad branch: %v", err)
		}
		branch := make([]*types.Block, len(encs))
		for i, enc := range encs {
			b, err := types.DecodeBlock(enc)
			if err != nil {
				return err
			}
			branch[i] = b
		}
		fork := branch[0].Height() - 1
		if fork >= uint64(len(e.ids)) || e.ids[fork].Hash != branch[0].Header.ParentHash {
			return errors.New("depth engine: branch forks from a block not on the best chain")
		}
		if fork+uint64(len(branch)) <= e.tip().Height {
			return errStale
		}
		if fork < e.final && !e.ignoreFinal {
			return fmt.Errorf("depth engine: branch forks at %d below the final block %d", fork, e.final)
		}
		at := e.ids[fork]
		e.ids = e.ids[:fork+1]
		e.extend(&at, branch)
	case consensus.Verdict:
		if !m.Valid {
			// The driver committed the branch up to the block before this
			// one and ignored the finality of that Ready: count again.
			for i, id := range e.ids {
				if id.Hash == m.Hash {
					e.ids = e.ids[:i]
					break
				}
			}
			e.final, e.finalHanded = e.finalBefore, e.finalBefore
			e.extend(nil, nil)
			e.rd.Head = nil
		}
	}
	return nil
}

// extend adopts blocks on the best chain (after rewinding to rewind, if
// set) and moves safety and finality with the new tip.
func (e *depthEngine) extend(rewind *consensus.BlockID, blocks []*types.Block) {
	if e.rd.Head == nil {
		e.rd.Head = &consensus.HeadMove{Rewind: rewind}
	}
	for _, b := range blocks {
		e.ids = append(e.ids, consensus.BlockID{Height: b.Height(), Hash: b.Hash()})
		e.blocks[b.Hash()] = b
		e.rd.Head.Blocks = append(e.rd.Head.Blocks, b)
	}
	tip := e.tip().Height
	for e.final+e.depth < tip {
		e.final++
		e.rd.Final = append(e.rd.Final, consensus.Final{Block: e.blocks[e.ids[e.final].Hash]})
	}
	if tip > 0 && tip-1 >= e.final {
		safe := e.ids[tip-1]
		e.rd.Safe = &safe
	}
}

func (e *depthEngine) HasReady() bool         { return !e.rd.IsEmpty() }
func (e *depthEngine) Ready() consensus.Ready { return e.rd }

func (e *depthEngine) Advance() {
	e.rd = consensus.Ready{}
	e.finalBefore, e.finalHanded = e.finalHanded, e.final
}

// branchMessage encodes blocks as the peer message depthEngine adopts.
func branchMessage(blocks ...*types.Block) consensus.PeerMessage {
	encs := make([][]byte, len(blocks))
	for i, b := range blocks {
		enc, err := types.EncodeBlock(b)
		if err != nil {
			panic(err)
		}
		encs[i] = enc
	}
	payload, err := rlp.EncodeToBytes(encs)
	if err != nil {
		panic(err)
	}
	return consensus.PeerMessage{From: "peer", Payload: payload}
}
