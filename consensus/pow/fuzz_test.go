package pow

import (
	"errors"
	"testing"

	"github.com/aspen-chain/aspen/consensus"
)

// FuzzPeerMessage feeds a pow engine what a peer may send: every input must
// be refused with an error that wraps consensus.ErrMalformed or ErrBadBody
// (the node penalises the sender) or one of the engine's own sentinels, or
// taken; the
// engine must never panic and never move its final block backwards. Seeds
// are an honest announce, a blocks answer and a get-blocks. `make fuzz`
// runs it (tools/fuzz).
func FuzzPeerMessage(f *testing.F) {
	chain := chainOf(f, genesisHeader, 4, 1, 1)
	f.Add(encodeAnnounce(chain[0]))
	f.Add(encodeBlocks(chain))
	f.Add(encodeGetBlocks(getBlocks{Hash: chain[2].Hash(), Height: 3, Count: 2}))
	f.Add([]byte{wireVersion, kindAnnounce, 0xc0})
	f.Fuzz(func(t *testing.T, payload []byte) {
		e, err := New(Config{Subnet: "/t", Confirmations: 2, BlockTimeMs: 1000, MinDifficulty: 1}, 0, genesisHeader.Hash(), genesisHeader, nil)
		if err != nil {
			t.Fatal(err)
		}
		drain(e)
		before := e.Final()
		err = e.Step(consensus.PeerMessage{From: "p", Payload: payload})
		if err != nil && !errors.Is(err, consensus.ErrMalformed) && !errors.Is(err, consensus.ErrBadBody) && !errors.Is(err, ErrBelowFinal) &&
			!errors.Is(err, ErrInvalidBlock) && !errors.Is(err, ErrNotChild) {
			t.Fatalf("peer bytes gave an error the node cannot classify: %v", err)
		}
		drain(e)
		if e.Final().Height < before.Height {
			t.Fatalf("final block moved back from %d to %d", before.Height, e.Final().Height)
		}
		// The node's gossip gate decodes as the engine does: what one
		// refuses as malformed bytes, so does the other.
		if _, gerr := DecodeGossip("/t", payload); (gerr != nil) != errors.Is(err, ErrMessage) {
			t.Fatalf("the gossip gate and the engine disagree on whether %x decodes: %v vs %v", payload, gerr, err)
		}
	})
}
