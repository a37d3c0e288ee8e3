package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/aspen-chain/aspen/internal/faults"
)

// The chaos runner: `make chaos DURATION=10m` (ASPEN_CHAOS=10m) runs a
// random schedule of faults against the disjoint devnet behind proxies,
// one fault at a time, under a steady load of cross-subnet messages in
// every direction, records every message with its outcome, and checks the
// history once the last fault is healed: no final block forked, every
// acknowledged send's receipt still in its block, every message applied at
// most once and every acknowledged one exactly once, the books of every
// edge (conservation and the firewall), nobody slashed. It writes the
// schedule and the history to ASPEN_CHAOS_OUT (default: a temp dir, logged);
// ASPEN_CHAOS_REPLAY=schedule.json runs a recorded schedule again,
// ASPEN_CHAOS_SEED fixes the random one.

// chaosStep is one fault: applied at AtMs after the start, held HoldMs,
// then healed.
type chaosStep struct {
	AtMs   int64  `json:"atMs"`
	Fault  string `json:"fault"`
	Nodes  []int  `json:"nodes"`            // the nodes hit; for partition and degrade, one side
	Others []int  `json:"others,omitempty"` // partition, degrade: the other side
	HoldMs int64  `json:"holdMs"`
}

type chaosSchedule struct {
	Seed       uint64      `json:"seed"`
	DurationMs int64       `json:"durationMs"`
	Steps      []chaosStep `json:"steps"`
}

// chaosFaults are the fault kinds and how to pick their targets. Every one
// leaves at least one path for each message alive once healed; wipe hits
// only nodes whose chains keep a quorum without them (see
// disjointWipedValidator for why).
var chaosFaults = []struct {
	name    string
	targets func(r *rand.Rand) (nodes, others []int)
}{
	{"pause", func(*rand.Rand) ([]int, []int) { return []int{0, 1, 2, 3}, nil }}, // every root validator
	{"pause", func(r *rand.Rand) ([]int, []int) { return []int{r.IntN(8)}, nil }},
	{"kill", func(r *rand.Rand) ([]int, []int) { return []int{r.IntN(8)}, nil }},
	{"wipe", func(r *rand.Rand) ([]int, []int) { return []int{[]int{3, 7}[r.IntN(2)]}, nil }},
	{"partition", func(*rand.Rand) ([]int, []int) { return []int{0, 1, 2, 3}, []int{4, 5, 6, 7} }}, // the levels
	{"partition", func(*rand.Rand) ([]int, []int) { return []int{4, 5}, []int{6, 7} }},             // alpha split
	{"degrade", func(*rand.Rand) ([]int, []int) { return []int{0, 1, 2, 3}, []int{4, 5, 6, 7} }},
}

func newChaosSchedule(seed uint64, d time.Duration) chaosSchedule {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	s := chaosSchedule{Seed: seed, DurationMs: d.Milliseconds()}
	at := 3 * time.Second
	for at < d {
		f := chaosFaults[r.IntN(len(chaosFaults))]
		nodes, others := f.targets(r)
		hold := time.Duration(3+r.IntN(8)) * time.Second
		s.Steps = append(s.Steps, chaosStep{AtMs: at.Milliseconds(), Fault: f.name, Nodes: nodes, Others: others, HoldMs: hold.Milliseconds()})
		at += hold + time.Duration(2+r.IntN(4))*time.Second
	}
	return s
}

// chaosMsg is one cross-subnet message of the load and its outcome.
type chaosMsg struct {
	Src, Dst string
	To       common.Address
	Acked    bool   // the CLI printed its message ID: its send has a receipt
	Err      string `json:",omitempty"`
	MsgID    common.Hash
	Tx       common.Hash
	Block    uint64
	SentAt   time.Duration
	Applied  time.Duration `json:",omitempty"` // after the start, as first seen
}

// chaosValue is what every message carries: 0.01 coin.
var chaosValue = big.NewInt(1e16)

func TestChaos(t *testing.T) {
	t.Parallel()
	dur, err := time.ParseDuration(os.Getenv("ASPEN_CHAOS"))
	if err != nil {
		t.Skip("set ASPEN_CHAOS=DURATION (e.g. 1m) or run make chaos DURATION=10m")
	}
	out := os.Getenv("ASPEN_CHAOS_OUT")
	if out == "" {
		out = t.TempDir()
	}
	var sched chaosSchedule
	if path := os.Getenv("ASPEN_CHAOS_REPLAY"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &sched); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	} else {
		seed := rand.Uint64()
		if s := os.Getenv("ASPEN_CHAOS_SEED"); s != "" {
			if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
				t.Fatal(err)
			}
		}
		sched = newChaosSchedule(seed, dur)
	}
	writeJSON(t, filepath.Join(out, "schedule.json"), sched)
	t.Logf("chaos: seed %d, %d faults over %s; schedule in %s", sched.Seed, len(sched.Steps), time.Duration(sched.DurationMs)*time.Millisecond, filepath.Join(out, "schedule.json"))

	args := []string{"--subnets", "disjoint", "--block-time", "300ms", "--checkpoint-period", "5",
		"--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t))}
	d, net := behindProxies(t, startDevnet(t, t.TempDir(), args...), args)
	c := &chaos{t: t, d: d, net: net, start: time.Now()}
	for _, n := range d.m.Nodes {
		c.pids = append(c.pids, n.PID)
	}
	stopLoad := make(chan struct{})
	loadDone := make(chan struct{})
	go func() { defer close(loadDone); c.load(stopLoad) }()

	for _, s := range sched.Steps {
		if wait := time.Until(c.start.Add(time.Duration(s.AtMs) * time.Millisecond)); wait > 0 {
			<-time.After(wait)
		}
		c.apply(s)
		<-time.After(time.Duration(s.HoldMs) * time.Millisecond)
		c.heal(s)
	}
	if wait := time.Until(c.start.Add(time.Duration(sched.DurationMs) * time.Millisecond)); wait > 0 {
		<-time.After(wait)
	}
	close(stopLoad)
	<-loadDone
	lastHeal := time.Since(c.start)
	defer writeJSON(t, filepath.Join(out, "history.json"), c.msgs)
	c.check(lastHeal)
}

// chaos is one run: the devnet, its processes and the load's history.
type chaos struct {
	t     *testing.T
	d     *devnet
	net   *faults.Network
	start time.Time
	mu    sync.Mutex
	pids  []int        // current process of each node
	down  map[int]bool // paused or killed now: the load avoids them
	msgs  []chaosMsg
	conns map[string]*ethclient.Client
}

// client is chain on its reading node, dialled once.
func (c *chaos) client(chain string) *ethclient.Client {
	if c.conns == nil {
		c.conns = map[string]*ethclient.Client{}
	}
	if cl := c.conns[chain]; cl != nil {
		return cl
	}
	cl := djClient(c.t, c.d, chainNode(chain), chain)
	c.conns[chain] = cl
	return cl
}

func (c *chaos) apply(s chaosStep) {
	c.t.Logf("%6.1fs %s %v %v for %dms", time.Since(c.start).Seconds(), s.Fault, s.Nodes, s.Others, s.HoldMs)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down == nil {
		c.down = map[int]bool{}
	}
	names := func(idx []int) []string { return nodeNames(c.d, idx...) }
	var err error
	switch s.Fault {
	case "pause":
		for _, i := range s.Nodes {
			c.down[i] = true
			err = faults.Pause(c.pids[i])
		}
	case "kill", "wipe":
		for _, i := range s.Nodes {
			c.down[i] = true
			if err = faults.Kill(c.pids[i], 10*time.Second); err == nil && s.Fault == "wipe" {
				err = faults.WipeData(c.d.m.Nodes[i].Home)
			}
		}
	case "partition":
		err = c.net.Partition(names(s.Nodes), names(s.Others))
	case "degrade":
		err = c.net.Degrade(names(s.Nodes), names(s.Others), 200*time.Millisecond, 50*time.Millisecond, 0.3, 0)
	default:
		err = fmt.Errorf("unknown fault %q", s.Fault)
	}
	if err != nil {
		c.t.Fatalf("apply %+v: %v", s, err)
	}
}

func (c *chaos) heal(s chaosStep) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	switch s.Fault {
	case "pause":
		err = faults.Resume(c.pidsOf(s.Nodes)...)
	case "kill", "wipe":
		for _, i := range s.Nodes {
			n := c.d.m.Nodes[i]
			c.pids[i] = startProcess(c.t, n.Restart, filepath.Join(n.Home, "restart.log")).Process.Pid
		}
	case "partition", "degrade":
		err = c.net.Heal()
	}
	for _, i := range s.Nodes {
		delete(c.down, i)
	}
	if err != nil {
		c.t.Fatalf("heal %+v: %v", s, err)
	}
}

func (c *chaos) pidsOf(idx []int) []int {
	out := make([]int, len(idx))
	for k, i := range idx {
		out[k] = c.pids[i]
	}
	return out
}

// up picks the first node of candidates that is not paused or killed.
func (c *chaos) up(candidates ...int) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, i := range candidates {
		if !c.down[i] {
			return i, true
		}
	}
	return 0, false
}

// load sends, until stop, a message every second or so, in turn: a
// release alpha -> root, a send alpha/one -> beta, a fund root -> alpha,
// each from a node that runs its source and is up.
func (c *chaos) load(stop <-chan struct{}) {
	kinds := []struct {
		src, dst string
		homes    []int
		args     func(to string) []string
	}{
		{djAlpha, djRoot, []int{4, 5, 6, 7}, func(to string) []string { return []string{"xfer", "release", djAlpha, "--to", to} }},
		{djOne, djBeta, []int{4, 5, 6}, func(to string) []string { return []string{"xfer", "send", djBeta, "--src", djOne, "--to", to} }},
		{djRoot, djAlpha, []int{0, 1, 2, 3}, func(to string) []string { return []string{"xfer", "fund", djAlpha, "--to", to} }},
	}
	for k := 0; ; k++ {
		select {
		case <-stop:
			return
		case <-time.After(time.Second):
		}
		kind := kinds[k%len(kinds)]
		i, ok := c.up(kind.homes...)
		if !ok {
			continue
		}
		m := chaosMsg{Src: kind.src, Dst: kind.dst, To: common.BigToAddress(big.NewInt(int64(0xc4a0_0000 + k))), SentAt: time.Since(c.start)}
		args := append(kind.args(m.To.Hex()), "--value", "0.01", "--home", c.d.m.Nodes[i].Home, "--timeout", "20s", "--json")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		raw, err := exec.CommandContext(ctx, aspenBin, args...).Output()
		cancel()
		var res struct {
			MsgID common.Hash `json:"msgId"`
			Tx    common.Hash `json:"tx"`
			Block uint64      `json:"block"`
		}
		if err == nil {
			err = json.Unmarshal(raw, &res)
		}
		if err != nil {
			m.Err = err.Error()
		} else {
			m.Acked, m.MsgID, m.Tx, m.Block = true, res.MsgID, res.Tx, res.Block
		}
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		c.mu.Unlock()
		c.markApplied()
	}
}

// markApplied notes when each message not yet seen applied is: its value
// credited at its destination, read with a short timeout (the reading node
// may be paused).
func (c *chaos) markApplied() {
	type want struct {
		k   int
		dst string
		to  common.Address
	}
	var ws []want
	c.mu.Lock()
	for k, m := range c.msgs {
		if m.Applied == 0 {
			ws = append(ws, want{k, m.Dst, m.To})
		}
	}
	c.mu.Unlock()
	for _, w := range ws {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		b, err := c.client(w.dst).BalanceAt(ctx, w.to, nil)
		cancel()
		if err == nil && b.Sign() > 0 {
			c.mu.Lock()
			c.msgs[w.k].Applied = time.Since(c.start)
			c.mu.Unlock()
		}
	}
}

// chainNode is a node that runs chain, to read it on.
func chainNode(chain string) int {
	if chain == djRoot || chain == djBeta {
		return 0
	}
	return 4
}

// check verifies the history once every fault is healed.
func (c *chaos) check(lastHeal time.Duration) {
	t, d := c.t, c.d
	ctx := context.Background()
	pending := func() (acked, unacked int) {
		for i := range c.msgs {
			m := &c.msgs[i]
			if m.Applied > 0 {
				continue
			}
			b, err := c.client(m.Dst).BalanceAt(ctx, m.To, nil)
			if err == nil && b.Sign() > 0 {
				m.Applied = time.Since(c.start)
				continue
			}
			if m.Acked {
				acked++
			} else {
				unacked++
			}
		}
		return acked, unacked
	}
	deadline := time.Now().Add(3 * time.Minute)
	for a, _ := pending(); a > 0; a, _ = pending() {
		if time.Now().After(deadline) {
			for _, m := range c.msgs {
				if m.Acked && m.Applied == 0 {
					t.Logf("never applied: %s -> %s msg %s sent at %s (tx %s, block %d)", m.Src, m.Dst, m.MsgID, m.SentAt.Round(time.Millisecond), m.Tx, m.Block)
				}
			}
			t.Fatalf("%d acknowledged messages not applied 3m after the last heal", a)
		}
		<-time.After(200 * time.Millisecond)
	}
	var acked, applied, afterHeal int
	var firstAfter, lastAfter time.Duration
	for _, m := range c.msgs {
		b, err := c.client(m.Dst).BalanceAt(ctx, m.To, nil)
		if err != nil {
			t.Fatal(err)
		}
		if b.Sign() != 0 && b.Cmp(chaosValue) != 0 {
			t.Errorf("message to %s on %s paid %v, want at most once %v", m.To, m.Dst, b, chaosValue)
		}
		if m.Acked {
			acked++
			r, err := c.client(m.Src).TransactionReceipt(ctx, m.Tx)
			if err != nil || r.BlockNumber.Uint64() != m.Block {
				t.Errorf("acknowledged send %s (block %d) lost its receipt: %v", m.Tx, m.Block, err)
			}
		}
		if b.Sign() > 0 {
			applied++
			if since := m.Applied - lastHeal; since > 0 {
				afterHeal++
				if firstAfter == 0 || since < firstAfter {
					firstAfter = since
				}
				lastAfter = max(lastAfter, since)
			}
		}
	}
	sameChain(t, d, djRoot, 0, 4)
	sameChain(t, d, djBeta, 0, 3)
	sameChain(t, d, djAlpha, 4, 7)
	sameChain(t, d, djOne, 4, 6)
	noSlash(t, d, 0, djRoot)
	noSlash(t, d, 4, djAlpha)
	djBooks(t, d)
	t.Logf("chaos summary: %d messages sent, %d acknowledged, %d applied, %d of them after the last heal (the first %s, the last %s after it); no fork, receipts kept, books balance",
		len(c.msgs), acked, applied, afterHeal, firstAfter.Round(time.Millisecond), lastAfter.Round(time.Millisecond))
	if slices.ContainsFunc(c.msgs, func(m chaosMsg) bool { return m.Acked && m.Applied == 0 }) {
		t.Error("an acknowledged message was never applied")
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
