package sim

import (
	"strconv"

	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/types"
)

// commit appends a final block to n's chain after checking Validity and
// Agreement. It reports false when the run must stop.
func (s *simulation) commit(n *node, f consensus.Final) bool {
	b := f.Block
	if b == nil || b.Header == nil {
		if n.honest {
			s.failf(ErrValidity, "node %d finalized a nil block", n.index)
		}
		return false
	}
	hash, height := b.Hash(), b.Height()
	if n.honest {
		if err := n.app.check(b); err != nil {
			s.failf(ErrValidity, "node %d finalized block %d (%x): %v", n.index, height, hash[:4], err)
			return false
		}
		if !s.built[hash] {
			s.failf(ErrValidity, "node %d finalized block %d (%x) that no application built", n.index, height, hash[:4])
			return false
		}
		// A pow block is final by depth: it has no certificate.
		if c := f.Commit; s.f.pow == nil {
			if c == nil || c.Height != height || c.BlockHash != hash {
				s.failf(ErrValidity, "node %d finalized block %d (%x) without a commit for it", n.index, height, hash[:4])
				return false
			}
			if err := s.verifyCommit(c); err != nil {
				s.failf(ErrValidity, "node %d finalized block %d (%x) whose commit does not verify: %v", n.index, height, hash[:4], err)
				return false
			}
		}
		if want, ok := s.finals[height]; ok && want != hash {
			s.failf(ErrAgreement, "node %d finalized %x at height %d, another honest node finalized %x", n.index, hash[:4], height, want[:4])
			return false
		}
		s.finals[height] = hash
		if !s.blockEvidence(n, b) {
			return false
		}
	} else if err := n.app.check(b); err != nil {
		// A byzantine node's own chain is not ours to judge, but its driver
		// must not move past a block its application cannot keep.
		s.logf("byzantine n%d cannot keep final block %d: %v", n.index, height, err)
		return false
	}
	s.record('B', uint64(n.index), height, hash.Big().Uint64())
	if f.Commit != nil {
		s.logf("n%d final %d %x round %d", n.index, height, hash[:4], f.Commit.Round)
	}
	n.app.push(f)
	return true
}

// checkVote records every vote an honest node signs, across restarts, and
// fails on a second vote for another block at the same height, round and type.
func (s *simulation) checkVote(n *node, payload []byte) {
	if s.f.DecodeVote == nil {
		return
	}
	v, ok := s.f.DecodeVote(payload)
	if !ok || v.Validator != n.index {
		return
	}
	k := voteKey{v.Validator, v.Height, v.Round, v.Type}
	if prev, ok := s.votes[k]; ok && prev != v.BlockHash {
		s.failf(ErrDoubleSign, "honest validator %d signed type-%d votes at height %d round %d for %x and %x",
			n.index, v.Type, v.Height, v.Round, prev[:4], v.BlockHash[:4])
		return
	}
	s.votes[k] = v.BlockHash
}

// pollEvidence looks at the evidence honest engines hold.
func (s *simulation) pollEvidence() {
	if s.f.Accused == nil {
		return
	}
	for _, n := range s.nodes {
		if n.honest && n.up() {
			s.accused(n.engine, s.f.Accused(n.engine), "engine of node "+n.id)
		}
	}
}

// blockEvidence checks the evidence a final block carries.
func (s *simulation) blockEvidence(n *node, b *types.Block) bool {
	if s.f.BlockEvidence == nil {
		return true
	}
	var who []int
	for _, ev := range b.Evidence {
		v, err := s.f.BlockEvidence(s.vs, s.subnet, ev)
		if err != nil {
			s.failf(ErrValidity, "node %d finalized block %d carrying invalid evidence: %v", n.index, b.Height(), err)
			return false
		}
		who = append(who, v)
	}
	s.accused(nil, who, "final block "+strconv.FormatUint(b.Height(), 10))
	return s.fail == nil
}

func (s *simulation) accused(_ consensus.Engine, who []int, where string) {
	for _, v := range who {
		if v < 0 || v >= len(s.nodes) || s.nodes[v].honest {
			s.failf(ErrFalseEvidence, "%s accuses validator %d", where, v)
			return
		}
		s.res.EvidenceSeen = true
	}
}

// maybeSync block-syncs n when its engine asked (SyncTo above its height)
// or while it probes after a restart: it copies consecutive final blocks and
// commits from the most advanced honest node it can reach, checks each, and
// tells the engine with Synced.
func (s *simulation) maybeSync(n *node) {
	if s.now < n.nextSync || !(n.probing || s.sc.StatusSync || n.syncTo > n.app.height()) {
		return
	}
	n.nextSync = s.now + s.sc.SyncInterval
	var src *node
	for _, m := range s.nodes {
		if m.honest && m.up() && m != n && s.net.connected(m.index, n.index) && m.app.height() > n.app.height() &&
			(src == nil || m.app.height() > src.app.height()) {
			src = m
		}
	}
	if src == nil {
		n.probing = n.probing && s.now < s.stable // nobody ahead: caught up, unless faults may still separate us
		return
	}
	from := n.app.height()
	var blocks []driver.Synced
	for h := from + 1; h <= src.app.height(); h++ {
		f := src.app.chain[h]
		if f.Commit == nil || f.Commit.BlockHash != f.Block.Hash() || f.Commit.Height != h {
			s.failf(ErrValidity, "node %d serves block %d without its commit", src.index, h)
			return
		}
		if err := s.verifyCommit(f.Commit); err != nil {
			s.failf(ErrValidity, "node %d serves block %d whose commit does not verify: %v", src.index, h, err)
			return
		}
		blocks = append(blocks, driver.Synced{Block: f.Block, Commit: f.Commit})
	}
	// The driver executes and commits what extends its head (the executor's
	// Commit checks each block) and moves the engine past them.
	s.step(n, func(d *driver.Driver) error { return d.HandleSynced(blocks) })
	s.res.Syncs++
	head := n.app.head()
	s.record('S', uint64(n.index), from, head.Height())
	s.logf("n%d synced %d..%d from n%d", n.index, from+1, head.Height(), src.index)
}

// verifyCommit checks c with the factory's VerifyCommit, once per distinct
// certificate: a pairing check costs about a millisecond, and block sync
// hands the same certificates around again.
func (s *simulation) verifyCommit(c *types.Commit) error {
	if s.f.VerifyCommit == nil {
		return nil
	}
	enc, err := types.EncodeCommit(c)
	if err != nil {
		return err
	}
	k := gethcrypto.Keccak256Hash(enc)
	if s.verified[k] {
		return nil
	}
	if err := s.f.VerifyCommit(s.vs, s.subnet, c); err != nil {
		return err
	}
	s.verified[k] = true
	return nil
}
