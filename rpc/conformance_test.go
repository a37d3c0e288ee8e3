package rpc

import (
	"testing"

	"github.com/aspen-chain/aspen/rpc/rpctest"
)

// TestConformance runs the spec harness over the in-memory chain: every eth_
// method of the spec is called and its result validated against the schemas.
func TestConformance(t *testing.T) {
	h, _, _, _ := newTestHandler(t)
	rep := rpctest.Check(t, rpctest.NewHandlerCaller(h, "/devnet"), rpctest.Options{})
	if len(rep.Results) < 80 {
		t.Errorf("harness made only %d calls", len(rep.Results))
	}
	if testing.Verbose() {
		for _, r := range rep.Results {
			t.Log(r)
		}
	}
}
