package gateway

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestApplyTopDownBudget (issue 19, defect 11): messages apply in order
// while their gas fits in the budget; the first applies whatever its gas,
// so a block always makes progress; a delivered call counts its
// CrossMsgCallGas.
func TestApplyTopDownBudget(t *testing.T) {
	g, err := New("/devnet/games", Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := childXState{newXState(g)}
	msg := func(nonce uint64, data ...byte) TopDownMsg {
		m := upMsg("/devnet", nonce, "/devnet/games", common.Address{0x71}, 5, data...)
		return TopDownMsg{Nonce: nonce, Height: 1, Kind: m.Kind, Msg: m}
	}
	transfer := g.TopDownGas(st, msg(1))
	call := g.TopDownGas(st, msg(1, 0xca))
	if transfer == 0 || call < transfer+CrossMsgCallGas {
		t.Fatalf("top-down gas: transfer %d, call %d; want the call to count CrossMsgCallGas more", transfer, call)
	}
	msgs := []TopDownMsg{msg(1), msg(2), msg(3), msg(4)}
	n, used, err := g.ApplyTopDown(st, msgs, 2*transfer+transfer/2)
	if err != nil || n != 2 || used != 2*transfer || AppliedTopDown(st) != 2 {
		t.Fatalf("applied %d (%d gas, nonce %d), %v; want 2 transfers within a budget of 2.5", n, used, AppliedTopDown(st), err)
	}
	n, used, err = g.ApplyTopDown(st, msgs[2:], 0)
	if err != nil || n != 1 || used != transfer || AppliedTopDown(st) != 3 {
		t.Fatalf("applied %d (%d gas), %v with no budget; want the first message anyway", n, used, err)
	}
	if _, _, err := g.ApplyTopDown(st, msgs[:1], 1<<40); !errors.Is(err, ErrTopDownOrder) {
		t.Fatalf("re-applying nonce 1: %v, want ErrTopDownOrder", err)
	}
	if b := st.Balance(common.Address{0x71}); b.Int64() != 15 {
		t.Fatalf("recipient has %s after 3 transfers of 5", b)
	}
}
