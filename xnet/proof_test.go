package xnet

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/types"
)

// Every message of checkpoints of 1 to 9 messages (odd counts promote
// nodes) proves against its root, also after a JSON round trip, and no proof
// survives a change to any part of it.
func TestMessageProofs(t *testing.T) {
	for count := uint64(1); count <= 9; count++ {
		v := &fakeView{Subnet: testSubnet, UpAt: func(h uint64) uint64 { return count }, DataSize: 3}
		cp, _, _, err := Build(v, Params{Subnet: testSubnet, Period: 10}, 10, Link{})
		if err != nil {
			t.Fatal(err)
		}
		root := cp.MessagesRoot()
		for i, m := range cp.Messages {
			p, err := ProveMessage(cp, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if uint64(p.Index) != uint64(i) || uint64(p.Count) != count || p.CheckpointHash != cp.Hash() || uint64(p.CheckpointHeight) != 10 {
				t.Fatalf("proof of message %d of %d: %+v", i, count, p)
			}
			if err := VerifyMessageProof(p, root); err != nil {
				t.Fatalf("message %d of %d: %v", i, count, err)
			}
			enc, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			var back MessageProof
			if err := json.Unmarshal(enc, &back); err != nil {
				t.Fatal(err)
			}
			if err := VerifyMessageProof(&back, root); err != nil {
				t.Fatalf("message %d of %d after JSON: %v", i, count, err)
			}
			for name, tamper := range tampers(count) {
				q := back
				q.Message.Value = (*hexutil.Big)(new(big.Int).Set(back.Message.Value.ToInt()))
				q.Message.Data = append(hexutil.Bytes(nil), back.Message.Data...)
				q.Proof = append([]common.Hash(nil), back.Proof...)
				r := root
				if !tamper(&q, &r) {
					continue // does not apply at this size
				}
				if err := VerifyMessageProof(&q, r); !errors.Is(err, ErrMessageProof) {
					t.Fatalf("message %d of %d, %s: %v, want ErrMessageProof", i, count, name, err)
				}
			}
		}
	}
}

func tampers(count uint64) map[string]func(p *MessageProof, root *common.Hash) bool {
	return map[string]func(p *MessageProof, root *common.Hash) bool{
		"value": func(p *MessageProof, _ *common.Hash) bool {
			p.Message.Value.ToInt().Add(p.Message.Value.ToInt(), common.Big1)
			return true
		},
		"to":       func(p *MessageProof, _ *common.Hash) bool { p.Message.To[0] ^= 1; return true },
		"data":     func(p *MessageProof, _ *common.Hash) bool { p.Message.Data[0] ^= 1; return true },
		"dst":      func(p *MessageProof, _ *common.Hash) bool { p.Message.DstSubnet += "x"; return true },
		"kind":     func(p *MessageProof, _ *common.Hash) bool { p.Message.Kind = 1; return true },
		"id":       func(p *MessageProof, _ *common.Hash) bool { p.Message.ID[0] ^= 1; return true },
		"nonce":    func(p *MessageProof, _ *common.Hash) bool { p.Message.SrcNonce++; return true },
		"big kind": func(p *MessageProof, _ *common.Hash) bool { p.Message.Kind = 256; return true },
		"no value": func(p *MessageProof, _ *common.Hash) bool { p.Message.Value = nil; return true },
		"negative": func(p *MessageProof, _ *common.Hash) bool {
			p.Message.Value = (*hexutil.Big)(big.NewInt(-1))
			return true
		},
		"index": func(p *MessageProof, _ *common.Hash) bool {
			if count == 1 {
				return false
			}
			p.Index = (p.Index + 1) % hexutil.Uint64(count)
			return true
		},
		"count": func(p *MessageProof, _ *common.Hash) bool { p.Count++; return true },
		"sibling": func(p *MessageProof, _ *common.Hash) bool {
			if len(p.Proof) == 0 {
				return false
			}
			p.Proof[len(p.Proof)-1][5] ^= 1
			return true
		},
		"extra sibling": func(p *MessageProof, _ *common.Hash) bool { p.Proof = append(p.Proof, common.Hash{}); return true },
		"other root":    func(p *MessageProof, root *common.Hash) bool { root[0] ^= 1; return true },
		"claimed root":  func(p *MessageProof, root *common.Hash) bool { p.MessagesRoot[0] ^= 1; return true },
	}
}

func TestProveMessageNotFound(t *testing.T) {
	v := &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}
	cp, _, _, err := Build(v, Params{Subnet: testSubnet, Period: 10}, 10, Link{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ProveMessage(cp, types.MsgID(string(testSubnet), 11)); !errors.Is(err, ErrMessageNotFound) {
		t.Fatalf("message of the next checkpoint: %v, want ErrMessageNotFound", err)
	}
	if err := VerifyMessageProof(nil, common.Hash{}); !errors.Is(err, ErrMessageProof) {
		t.Fatalf("nil proof: %v", err)
	}
}

// The JSON shape is what aspen_getCrossMsgProof documents: hex quantities.
func TestMessageProofJSON(t *testing.T) {
	v := &fakeView{Subnet: testSubnet, UpAt: perBlock(1), DataSize: 2}
	cp, _, _, _ := Build(v, Params{Subnet: testSubnet, Period: 10}, 10, Link{})
	p, err := ProveMessage(cp, cp.Messages[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := json.Marshal(p)
	for _, want := range []string{`"checkpointHeight":"0xa"`, `"index":"0x2"`, `"count":"0xa"`, `"srcNonce":"0x3"`,
		`"value":"0xb2d05e00"`, `"data":"0x0303"`, `"kind":"0x0"`, `"subnet":"/devnet/games"`} {
		if !strings.Contains(string(enc), want) {
			t.Errorf("JSON lacks %s: %s", want, enc)
		}
	}
}

// A checkpoint that carries a message whose ID is not the one its source
// gives yields a proof with a valid path, but VerifyMessageProof refuses it:
// the ID a client looks up must be the message it gets.
func TestMessageProofChecksID(t *testing.T) {
	v := &fakeView{Subnet: testSubnet}
	cp := &types.Checkpoint{Subnet: string(testSubnet), Height: 10, Messages: []types.CrossMsg{v.msg(1), v.msg(2)}}
	cp.Messages[1].ID = types.MsgID(string(testSubnet), 1) // claims to be message 1
	p, err := ProveMessage(cp, cp.Messages[1].ID)          // finds the first with that ID
	if err != nil || p.Index != 0 {
		t.Fatalf("proof of the first message with the ID: %v, index %d", err, p.Index)
	}
	leaves := []common.Hash{cp.Messages[0].Leaf(), cp.Messages[1].Leaf()}
	path, _ := types.MerkleProof(leaves, 1)
	p.Message, p.Index, p.Proof = NewMessage(&cp.Messages[1]), 1, path
	if err := types.VerifyMerkleProof(cp.MessagesRoot(), cp.Messages[1].Leaf(), 1, 2, path); err != nil {
		t.Fatal(err)
	}
	if err := VerifyMessageProof(p, cp.MessagesRoot()); !errors.Is(err, ErrMessageProof) || !strings.Contains(err.Error(), "gives") {
		t.Fatalf("message with a false ID: %v, want ErrMessageProof", err)
	}
}

func TestVerifyCommittedMessage(t *testing.T) {
	cp := &types.Checkpoint{Subnet: "/devnet/a", Height: 10}
	for i := uint64(1); i <= 3; i++ {
		cp.Messages = append(cp.Messages, types.CrossMsg{ID: types.MsgID("/devnet/a", i), SrcSubnet: "/devnet/a", SrcNonce: i,
			DstSubnet: "/devnet", Value: big.NewInt(int64(i))})
	}
	enc, err := types.EncodeCheckpoint(cp)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ProveMessage(cp, types.MsgID("/devnet/a", 2))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyCommittedMessage(p, enc, cp.Hash()); err != nil {
		t.Fatalf("honest proof: %v", err)
	}
	if err := VerifyCommittedMessage(p, enc, common.Hash{1}); !errors.Is(err, ErrMessageProof) {
		t.Fatalf("checkpoint the parent did not commit: %v", err)
	}
	other := *cp
	other.Messages = cp.Messages[:2]
	enc2, _ := types.EncodeCheckpoint(&other)
	if err := VerifyCommittedMessage(p, enc2, other.Hash()); !errors.Is(err, ErrMessageProof) {
		t.Fatalf("proof against another committed checkpoint: %v", err)
	}
	p.Message.Value = (*hexutil.Big)(big.NewInt(99))
	if err := VerifyCommittedMessage(p, enc, cp.Hash()); !errors.Is(err, ErrMessageProof) {
		t.Fatalf("tampered value: %v", err)
	}
}
