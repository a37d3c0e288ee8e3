package e2e

import (
	"bufio"
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/p2p/libp2p"
	"github.com/aspen-chain/aspen/types"
)

// metric sums the samples of a Prometheus series whose line starts with
// prefix (name plus any label selector) on a node's /metrics.
func metric(t *testing.T, rpcURL, prefix string) float64 {
	t.Helper()
	resp, err := http.Get(rpcURL + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, prefix) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum
}

// testHostilePeerIsPenalised (TestSharedRoot/HostilePeerIsPenalised): a
// peer that is no validator joins the consensus topic and sends garbage,
// forged and unsigned votes, votes for far-future heights and a flood. Every
// one is rejected and counted, the peer is penalised by gossipsub scoring,
// and the validators keep finalizing. It runs first on the shared root, so
// the counters it reads start from zero.
func testHostilePeerIsPenalised(t *testing.T, n *bftNet) {
	all := []int{0, 1, 2, 3}
	n.waitHeight(t, 3, time.Minute, all...)

	key, err := libp2p.LoadOrGenerateIdentityKey(filepath.Join(t.TempDir(), "evil.key"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	evil, err := libp2p.New(ctx, libp2p.Config{Key: key, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer evil.Close()
	if err := evil.Connect(ctx, n.m.Nodes[0].P2P); err != nil {
		t.Fatalf("connect to node0 at %q: %v", n.m.Nodes[0].P2P, err)
	}
	subnet := types.SubnetID(n.m.Network)
	topic, err := evil.Join(p2p.ConsensusTopic(subnet), func(context.Context, string, []byte) p2p.Verdict { return p2p.Accept })
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node0 to see the hostile peer on the topic", 30*time.Second, func() bool {
		return len(evil.TopicPeers(p2p.ConsensusTopic(subnet))) > 0
	})

	notValidator, _ := crypto.GenerateBLSKey()
	h, _ := n.height(0)
	var msgs [][]byte
	add := func(v *bft.Vote, sign bool) {
		if sign {
			bft.SignVote(notValidator, subnet, v)
		}
		data, err := bft.EncodeMessage(v)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, data)
	}
	msgs = append(msgs, []byte("garbage"), []byte{2, 0xc0}, make([]byte, 4096))
	add(&bft.Vote{Type: bft.Prevote, Height: h + 1, Validator: 0, BlockHash: common.Hash{1}, Signature: make([]byte, 96)}, false) // forged signature
	add(&bft.Vote{Type: bft.Prevote, Height: h + 1, Validator: 1, BlockHash: common.Hash{2}}, true)                               // validator 1's seat, our key
	add(&bft.Vote{Type: bft.Precommit, Height: h + 1000, Validator: 2, BlockHash: common.Hash{3}}, true)                          // far future
	add(&bft.Vote{Type: bft.Prevote, Height: h + 1, Validator: 99, BlockHash: common.Hash{4}}, true)                              // no such validator
	for i := 0; i < 200; i++ {                                                                                                    // the flood
		add(&bft.Vote{Type: bft.Prevote, Height: h + 1, Round: uint32(i), Validator: 3, BlockHash: common.Hash{5}}, true)
	}
	for _, m := range msgs {
		_ = topic.Publish(ctx, m) // once graylisted, nothing is even read
	}

	waitFor(t, "node0 to count the rejected messages and penalise the peer", time.Minute, func() bool {
		return metric(t, n.m.Nodes[0].RPC, `aspen_p2p_messages_rejected_total{subnet="/devnet",topic="consensus"}`) >= 3 &&
			metric(t, n.m.Nodes[0].RPC, "aspen_p2p_penalised_peers") >= 1
	})
	h2, _ := n.height(0)
	n.waitHeight(t, h2+5, time.Minute, all...)
	n.agree(t, h2+5, all...)
}
