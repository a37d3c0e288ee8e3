package sim

import (
	"crypto/ecdsa"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"sort"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	_ "github.com/aspen-chain/aspen/consensus/engines" // genesis validation looks the engine kind up
	"github.com/aspen-chain/aspen/consensus/pow"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// EVMScenario is an EVM tree: a root chain validated by every physical
// node and child subnets of it, each validated by some of them, every node
// running for each chain it validates the engine, the real driver and the
// real executor with the gateway. The root creates the children with
// createSubnet and join transactions; users fund accounts on each child
// (top-down), those accounts release value back (bottom-up), and a relayer
// harness submits every checkpoint xnet.Build assembles, signed by the
// child's honest validators, twice (from two accounts), so the gateway must
// refuse the second.
type EVMScenario struct {
	Scenario
	// Children are the root's children (Parent 0, Validators physical
	// nodes, in join order); default DefaultEVMTree.
	Children []Chain
	Period   uint64 // the children's checkpoint period (default 4)
	Funds    int    // fund transactions on the root after activation, per child (default 4)
	// Pow, when set, makes the root a pow chain (the real pow engine, every
	// node mining with a virtual sealer) under bft children; Children may
	// then be empty (a single pow chain). Honest nodes only, no crashes.
	Pow *PowParams
	// Transfers are plain transfers between root accounts, drawn over the
	// run (default 0; 8 with Pow), so reorgs drop transactions.
	Transfers int
	// Plans is the number of atomic plans (evmatomic.go) submitted on the
	// root, each by an account of its own, of 2–3 plain value legs on the
	// root and its children; a harness decides each once it can be.
	Plans int
	// Stall crashes two of the last child's four validators as plan 0,
	// which has a leg there, is submitted, and restarts them once the root
	// decided it: past its deadline, so it must abort.
	Stall bool
	// Compromised gives the first child a byzantine quorum that forges
	// messages between gateways into its checkpoints (evmatomicbyz.go).
	Compromised bool
	// Jury bonds every root node as a juror of the children's checkpoints
	// and runs its juror (evmjury.go); Forge gives the first child a
	// quorum that mints out of nothing. Nil: no jury, payouts at commit.
	Jury *JuryParams
}

// DefaultEVMTree is two children of a root validated by five nodes, on
// overlapping sets of four, as DefaultTree's without the grandchild.
func DefaultEVMTree() []Chain {
	return []Chain{
		{Subnet: "/sim/a", Parent: 0, Validators: []int{0, 1, 2, 3}},
		{Subnet: "/sim/b", Parent: 0, Validators: []int{4, 3, 2, 1}},
	}
}

// EVMResult is what an EVM tree run did.
type EVMResult struct {
	Seed   uint64
	Chains []*Result // the root, then the children
	// Per chain (zero for the root): Queued and Applied are top-down
	// messages (the root's nonce for the child, the lowest applied nonce over
	// its honest nodes); Sent and Paid up messages (the child's up nonce,
	// the root's upApplied); Checkpoints the root's last checkpoint height.
	Queued, Applied, Sent, Paid, Checkpoints []uint64
	Ticks                                    uint64
	Pow                                      PowStats    // a pow root's sealing and reorgs
	Atomic                                   AtomicStats // the atomic plans, with EVMScenario.Plans
	Jury                                     JuryStats   // the jury, with EVMScenario.Jury
}

const (
	evmRoot    = types.SubnetID("/sim")
	evmNetwork = "sim"
	evmUsers   = 2 // accounts per child that are funded and release
)

var ether = big.NewInt(params.Ether)

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), ether) }

// evmTree is one EVM tree run.
type evmTree struct {
	forest  // the root, then the children
	seed    uint64
	sc      EVMScenario
	rng     *rand.Rand
	gw      abi.ABI
	ids     []types.SubnetID
	stable  uint64
	keys    []*ecdsa.PrivateKey // accounts: 0..n-1 validators, n, n+1 users, n+2, n+3 relayers, then each child's users
	rootGen *config.Genesis
	cgs     []*gateway.ChildGenesis // per chain; nil for the root
	work    []*evmWork
	// releases are, per chain, the root addresses its users release to, and what.
	releases []map[common.Address]*big.Int
	submitAt []map[uint64]uint64 // chain -> checkpoint height -> tick last submitted
	nonces   map[common.Address]uint64
	// forge, when set, makes the first child compromised: every one of its
	// validators signs its first checkpoint carrying messages with the
	// first message worth forge more, which the relayer submits instead.
	forge  func(circulating *big.Int) *big.Int
	forged bool
	knobs  powKnobs   // break one part of a pow run (tests)
	atom   *atomicRun // the atomic plans; nil without
	jury   *juryRun   // the jurors and their checks; nil without
}

// user is the account of child c's j-th user.
func (t *evmTree) user(c, j int) int { return t.sc.Nodes + 4 + (c-1)*evmUsers + j }

func (t *evmTree) acct(k int) common.Address { return gethcrypto.PubkeyToAddress(t.keys[k].PublicKey) }

// RunEVMTree simulates sc, everything drawn from seed, with the Pebble
// stores of every node under dir (a fresh temporary directory).
func RunEVMTree(seed uint64, sc EVMScenario, dir string) (*EVMResult, error) {
	return runEVMTree(seed, sc, dir, powKnobs{})
}

func runEVMTree(seed uint64, sc EVMScenario, dir string, knobs powKnobs) (*EVMResult, error) {
	t, err := newEVMTree(seed, sc, dir, knobs, atomicKnobs{})
	if err != nil {
		return nil, err
	}
	defer t.close()
	return t.run()
}

func newEVMTree(seed uint64, sc EVMScenario, dir string, knobs powKnobs, ak atomicKnobs) (*evmTree, error) {
	sc.Scenario = sc.Scenario.withDefaults()
	if sc.Period == 0 {
		sc.Period = 4
	}
	if sc.Funds < evmUsers {
		sc.Funds = max(4, evmUsers) // at least one per user, which releases from it
	}
	if sc.Children == nil {
		sc.Children = DefaultEVMTree()
	}
	if err := sc.Scenario.validate(); err != nil {
		return nil, err
	}
	if sc.Pow != nil {
		if sc.Byzantine > 0 || sc.Crashes > 0 {
			return nil, fmt.Errorf("%w: a pow root runs honest nodes without crashes", ErrScenario)
		}
		p := sc.Pow.withDefaults()
		sc.Pow = &p
		if sc.Transfers == 0 {
			sc.Transfers = 8
		}
	}
	gw, err := gateway.ParseABI()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	t := &evmTree{seed: seed, sc: sc, rng: rng, gw: gw, nonces: map[common.Address]uint64{}, knobs: knobs}
	n := sc.Nodes
	chains := []Chain{{Subnet: evmRoot, Parent: -1}}
	for p := 0; p < n; p++ {
		chains[0].Validators = append(chains[0].Validators, p)
	}
	for _, ch := range sc.Children {
		if ch.Parent != 0 || ch.Subnet.Parent() != evmRoot || len(ch.Validators) == 0 {
			return nil, fmt.Errorf("%w: %s: an EVM tree's children are children of %s, with validators", ErrScenario, ch.Subnet, evmRoot)
		}
		for _, p := range ch.Validators {
			if p < 0 || p >= n {
				return nil, fmt.Errorf("%w: %s: validator %d is not a node", ErrScenario, ch.Subnet, p)
			}
		}
		chains = append(chains, ch)
	}
	for _, ch := range chains {
		t.ids = append(t.ids, ch.Subnet)
		t.members = append(t.members, ch.Validators)
		t.work = append(t.work, &evmWork{now: &t.now})
		t.releases = append(t.releases, map[common.Address]*big.Int{})
		t.submitAt = append(t.submitAt, map[uint64]uint64{})
	}
	if sc.Plans > 0 || sc.Stall || sc.Compromised {
		if sc.Plans < 1 || sc.Pow != nil || len(chains) < 3 || (sc.Stall && len(chains[len(chains)-1].Validators) != 4) {
			return nil, fmt.Errorf("%w: atomic plans run on a bft root with at least two children, Stall with four validators on the last", ErrScenario)
		}
		t.atom = newAtomicRun(sc, t.user(len(chains), 0), len(chains), ak)
	}
	if sc.Jury != nil {
		if sc.Pow != nil || t.atom != nil || len(chains) < 2 {
			return nil, fmt.Errorf("%w: a jury runs on a bft root with children, without atomic plans", ErrScenario)
		}
		t.jury = newJuryRun(*sc.Jury, n)
	}
	keys := t.user(len(chains), 0)
	if t.atom != nil {
		keys += sc.Plans + 1 // submitters, then the decider
	}
	for k := 0; k < keys; k++ {
		var in [16]byte
		binary.BigEndian.PutUint64(in[:8], seed)
		binary.BigEndian.PutUint64(in[8:], uint64(k))
		key, err := gethcrypto.ToECDSA(gethcrypto.Keccak256([]byte("aspen-sim account"), in[:]))
		if err != nil {
			return nil, err
		}
		t.keys = append(t.keys, key)
	}
	byz, err := drawByzantine(TreeScenario{Scenario: sc.Scenario, Chains: chains}, rng)
	if err != nil {
		return nil, err
	}
	boot, err := t.bootstrap(filepath.Join(dir, "boot"))
	if err != nil {
		return nil, fmt.Errorf("sim: bootstrap the root: %w", err)
	}
	for c := range chains {
		var b []consensus.Final
		if c == 0 {
			b = boot
		}
		s, err := t.chain(c, b, byz, dir)
		if s != nil {
			t.chains = append(t.chains, s) // closed with the rest, even half made
		}
		if err != nil {
			return nil, err
		}
	}
	t.schedule()
	var honest []int
	for p := 0; p < n; p++ {
		if !byz[p] {
			honest = append(honest, p)
		}
	}
	t.events = drawFaults(sc.Scenario, rng, honest)
	for _, e := range t.events {
		t.stable = max(t.stable, e.at)
	}
	for _, s := range t.chains {
		s.stable, s.res.Stable = t.stable, t.stable
		if err := s.startAll(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *evmTree) close() {
	for _, s := range t.chains {
		for _, n := range s.nodes {
			if n.app.real != nil {
				n.app.real.store.Close()
			}
		}
	}
}

// blsKey is physical node p's BLS key on chain c.
func (t *evmTree) blsKey(c, p int) (*crypto.BLSSecretKey, error) {
	return deriveKey(t.seed, 64*c+p)
}

// genesis is the root's: every validator's and user's account funded.
func (t *evmTree) genesis() (*config.Genesis, error) {
	g := &config.Genesis{SubnetID: string(evmRoot), ChainID: 31337, Engine: bft.Kind.Name, TimestampMs: 1, Alloc: map[common.Address]config.GenesisAccount{}}
	if t.sc.Pow != nil {
		g.Engine = pow.Kind.Name
	}
	for i := 0; i < t.sc.Nodes; i++ {
		k, err := t.blsKey(0, i)
		if err != nil {
			return nil, err
		}
		g.Validators = append(g.Validators, config.GenesisValidator{Address: t.acct(i), BLSPublicKey: k.PublicKey().Bytes(), Power: 1})
	}
	for k := 0; k < t.sc.Nodes+4; k++ {
		g.Alloc[t.acct(k)] = config.GenesisAccount{Balance: (*math.HexOrDecimal256)(eth(1000))}
	}
	if t.atom != nil {
		for k := t.atom.firstKey; k <= t.atom.firstKey+t.sc.Plans; k++ {
			g.Alloc[t.acct(k)] = config.GenesisAccount{Balance: (*math.HexOrDecimal256)(eth(planFunds))}
		}
	}
	g.SetDefaults()
	return g, g.Validate()
}

// tx signs a call from account k on chain id with the next nonce.
func (t *evmTree) tx(chainID uint64, k int, to common.Address, value *big.Int, gas uint64, data []byte) *gethtypes.Transaction {
	from := t.acct(k)
	nonce := t.nonces[from]
	t.nonces[from]++
	tx := gethtypes.NewTx(&gethtypes.DynamicFeeTx{
		ChainID: new(big.Int).SetUint64(chainID), Nonce: nonce, GasTipCap: big.NewInt(params.GWei), GasFeeCap: big.NewInt(20 * params.GWei),
		Gas: gas, To: &to, Value: value, Data: data,
	})
	signed, err := gethtypes.SignTx(tx, gethtypes.LatestSignerForChainID(tx.ChainId()), t.keys[k])
	if err != nil {
		panic(err) // a fresh key signing a well-formed transaction
	}
	return signed
}

func (t *evmTree) gwTx(chainID uint64, k int, value *big.Int, method string, args ...any) (*gethtypes.Transaction, error) {
	data, err := t.gw.Pack(method, args...)
	if err != nil {
		return nil, err
	}
	if value == nil {
		value = new(big.Int)
	}
	return t.tx(chainID, k, gateway.Address, value, 3_000_000, data), nil
}

// certify signs a commit for b with every key: blocks made before the run.
func certify(keys []*crypto.BLSSecretKey, subnet types.SubnetID, b *types.Block) (*types.Commit, error) {
	c := &types.Commit{Height: b.Height(), BlockHash: b.Hash()}
	var sigs [][]byte
	for i, k := range keys {
		c.SetSigner(i)
		sigs = append(sigs, k.Sign(bft.VoteSignBytes(subnet, bft.Precommit, c.Height, 0, c.BlockHash)))
	}
	agg, err := crypto.AggregateSignatures(sigs)
	if err != nil {
		return nil, err
	}
	c.Signature = agg
	return c, nil
}

// bootstrap makes the root's first blocks, before the run: every child's
// createSubnet, a fund for each before activation, then every validator's
// join. It returns them with their certificates.
func (t *evmTree) bootstrap(dir string) ([]consensus.Final, error) {
	gen, err := t.genesis()
	if err != nil {
		return nil, err
	}
	t.rootGen = gen
	st, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	x, err := evm.New(st, gen, evm.Options{StateCacheMB: 4})
	if err != nil {
		return nil, err
	}
	var keys []*crypto.BLSSecretKey
	for i := 0; i < t.sc.Nodes; i++ {
		k, err := t.blsKey(0, i)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	n := t.sc.Nodes
	type subnetParams struct {
		Engine           uint8
		MinValidators    uint32
		MinCollateral    *big.Int
		BlockTimeMs      uint32
		CheckpointPeriod uint32
		GasLimit         uint64
	}
	// Block 1 creates every child, block 2 funds each child's first user
	// before activation (its genesis credits it), block 3 holds every join.
	var creates, funds, joins []*gethtypes.Transaction
	for c := 1; c < len(t.ids); c++ {
		params := subnetParams{uint8(gateway.EngineBFT), uint32(len(t.members[c])), eth(1), 500, uint32(t.sc.Period), 30_000_000}
		tx, err := t.gwTx(gen.ChainID, 0, nil, "createSubnet", t.ids[c].Name(), params)
		if err != nil {
			return nil, err
		}
		early, err := t.gwTx(gen.ChainID, n, eth(3), "fund", string(t.ids[c]), t.acct(t.user(c, 0)))
		if err != nil {
			return nil, err
		}
		creates, funds = append(creates, tx), append(funds, early)
	}
	for c := 1; c < len(t.ids); c++ {
		for _, p := range t.members[c] {
			k, err := t.blsKey(c, p)
			if err != nil {
				return nil, err
			}
			j, err := t.gwTx(gen.ChainID, p, eth(10), "join", string(t.ids[c]), k.PublicKey().Bytes(), k.ProofOfPossession(), fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/12D3KooWsim", 4001+p))
			if err != nil {
				return nil, err
			}
			joins = append(joins, j)
		}
	}
	var out []consensus.Final
	for _, txs := range [][]*gethtypes.Transaction{creates, funds, joins} {
		head := x.Head()
		var src []sched
		for _, tx := range txs {
			from, _ := gethtypes.Sender(x.Signer(), tx)
			src = append(src, sched{from: from, tx: tx})
		}
		sort.SliceStable(src, func(i, j int) bool { return src[i].from.Cmp(src[j].from) < 0 })
		e, err := x.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1, Proposer: t.acct(0)}, &listSource{txs: src})
		if err != nil {
			return nil, err
		}
		if len(e.Block.Txs) != len(txs) {
			in := map[common.Hash]bool{}
			for _, tx := range e.Block.Txs {
				in[tx.Hash()] = true
			}
			var missing []string
			for _, s := range src {
				if !in[s.tx.Hash()] {
					missing = append(missing, fmt.Sprintf("%s nonce %d", s.from, s.tx.Nonce()))
				}
			}
			return nil, fmt.Errorf("bootstrap block %d holds %d of %d transactions; missing %v", e.Block.Height(), len(e.Block.Txs), len(txs), missing)
		}
		for i, r := range e.Receipts {
			if r.Status != 1 {
				return nil, fmt.Errorf("bootstrap block %d: transaction %d failed", e.Block.Height(), i)
			}
		}
		c, err := certify(keys, evmRoot, e.Block)
		if err != nil {
			return nil, err
		}
		if err := x.Commit(e, c); err != nil {
			return nil, err
		}
		out = append(out, consensus.Final{Block: e.Block, Commit: c})
	}
	gs, err := x.GatewayState(nil)
	if err != nil {
		return nil, err
	}
	t.cgs = make([]*gateway.ChildGenesis, len(t.ids))
	for c := 1; c < len(t.ids); c++ {
		if t.cgs[c], err = gateway.ReadChildGenesis(gs, evmRoot, t.ids[c]); err != nil {
			return nil, err
		}
		if len(t.cgs[c].Validators) != len(t.members[c]) {
			return nil, fmt.Errorf("%s has %d validators at activation, want %d", t.ids[c], len(t.cgs[c].Validators), len(t.members[c]))
		}
	}
	return out, nil
}

// childGenesis is the child's genesis from the root's gateway, derived as
// the node derives it (node/subnets.go).
func (t *evmTree) childGenesis(cg *gateway.ChildGenesis, activatedAt *types.Header) (*config.Genesis, error) {
	g := &config.Genesis{
		SubnetID: string(cg.ID), ChainID: cg.ChainID, GasLimit: cg.Params.GasLimit, TimestampMs: activatedAt.TimeMs,
		Engine: cg.Params.Engine.String(), BlockTimeMs: uint64(cg.Params.BlockTimeMs), Alloc: map[common.Address]config.GenesisAccount{},
	}
	for _, v := range cg.Validators {
		g.Validators = append(g.Validators, config.GenesisValidator{Address: v.Owner, BLSPublicKey: v.BLSPublicKey, Power: gateway.PowerOf(v.Collateral)})
	}
	for _, f := range cg.Funds {
		bal := new(big.Int)
		if b := g.Alloc[f.To].Balance; b != nil {
			bal.Set((*big.Int)(b))
		}
		g.Alloc[f.To] = config.GenesisAccount{Balance: (*math.HexOrDecimal256)(bal.Add(bal, f.Value))}
	}
	g.TopDownNonce = cg.FirstTopDownNonce - 1
	g.SetDefaults()
	return g, g.Validate()
}
