package e2e

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/p2p/libp2p"
	"github.com/aspen-chain/aspen/types"
)

// testChildEquivocation (TestSharedRoot/ChildEquivocationIsReportedAndSlashed):
// node3's key signs two conflicting prevotes on a child's consensus topic (a
// test peer publishes them). The child's validators keep them as evidence,
// the next block carries it, the node that proposed that block reports it to the root's
// gateway by itself, and node3 loses its seat there — nobody submits by hand.
func testChildEquivocation(t *testing.T, n *bftNet) {
	home := func(i int) string { return filepath.Join(n.home, "node"+strconv.Itoa(i)) }
	const games = "/devnet/arena" // SlashDoubleVote's /devnet/games runs beside it
	aspen(t, "subnet", "create", games, "--engine", "bft", "--min-validators", "3", "--min-collateral", "3", "--block-time", "200ms", "--home", home(0), "--json")
	for i := 0; i < 4; i++ {
		aspen(t, "subnet", "join", games, "--collateral", "1", "--home", home(i), "--json")
	}
	for i := 0; i < 4; i++ {
		waitFor(t, "node"+strconv.Itoa(i)+" to validate "+games, time.Minute, func() bool {
			return servedSubnets(t, n.m.Nodes[i].RPC)[games] == "validator"
		})
	}
	owner3 := common.HexToAddress(strings.TrimSpace(jsonField(t, aspen(t, "keys", "show", "--home", home(3), "--json"), "account")))
	seat := -1
	for i, v := range subnetInfoVia(t, n.clients[0], games).Validators {
		if v.Owner == owner3 {
			seat = i
		}
	}
	if seat < 0 {
		t.Fatal("node3 holds no seat")
	}
	cfg, err := config.LoadNode(home(3))
	if err != nil {
		t.Fatal(err)
	}
	key3, err := crypto.LoadBLSKey(cfg.Path(cfg.Keys.Validator))
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	idKey, err := libp2p.LoadOrGenerateIdentityKey(filepath.Join(t.TempDir(), "peer.key"))
	if err != nil {
		t.Fatal(err)
	}
	peer, err := libp2p.New(ctx, libp2p.Config{Key: idKey, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if err := peer.Connect(ctx, n.m.Nodes[0].P2P); err != nil {
		t.Fatal(err)
	}
	topic, err := peer.Join(p2p.ConsensusTopic(games), func(context.Context, string, []byte) p2p.Verdict { return p2p.Accept })
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node0 to see the test peer on "+games+"'s consensus topic", 30*time.Second, func() bool {
		return len(peer.TopicPeers(p2p.ConsensusTopic(games))) > 0
	})
	// The child may be making blocks (it applies node3's join first), so
	// the pair goes out for its next height again until the slash lands.
	child, _ := ethclient.Dial(n.m.Nodes[0].RPC + games)
	var last time.Time
	equivocate := func() {
		if time.Since(last) < 300*time.Millisecond {
			return
		}
		last = time.Now()
		h, err := child.BlockNumber(ctx)
		if err != nil {
			return
		}
		for _, tag := range []byte{0x0a, 0x0b} {
			v := &bft.Vote{Type: bft.Prevote, Height: h + 1, Round: 0, BlockHash: common.Hash{tag, byte(h)}, Validator: uint32(seat)}
			bft.SignVote(key3, types.SubnetID(games), v)
			data, err := bft.EncodeMessage(v)
			if err != nil {
				t.Fatal(err)
			}
			_ = topic.Publish(ctx, data)
		}
	}
	waitFor(t, "node3 to lose its seat on the root", time.Minute, func() bool {
		for _, v := range subnetInfoVia(t, n.clients[0], games).Validators {
			if v.Owner == owner3 {
				equivocate()
				return false
			}
		}
		return true
	})
	waitFor(t, "node3 to stop validating "+games, time.Minute, func() bool {
		return servedSubnets(t, n.m.Nodes[3].RPC)[games] != "validator"
	})
}
