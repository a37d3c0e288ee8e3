package sim

import (
	"crypto/ecdsa"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/rand/v2"
	"path/filepath"

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
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// EVMScenario is an EVM tree: a root chain and one child subnet, both
// validated by every physical node, each node running for each chain the
// engine, the real driver and the real executor with the gateway. The root
// creates the child with createSubnet and join transactions; users fund
// accounts on the child (top-down), those accounts release value back
// (bottom-up), and a relayer harness submits every checkpoint xnet.Build
// assembles, signed by the child's honest validators, twice (from two
// accounts), so the gateway must refuse the second.
type EVMScenario struct {
	Scenario
	Period uint64 // the child's checkpoint period (default 4)
	Funds  int    // fund transactions on the root after activation (default 4)
}

// EVMResult is what an EVM tree run did.
type EVMResult struct {
	Seed   uint64
	Chains []*Result // root, child
	// Queued and Applied are top-down messages (the root's nonce for the
	// child, the lowest applied nonce over honest child nodes); Sent and
	// Paid up messages (the child's up nonce, the root's upApplied).
	Queued, Applied, Sent, Paid uint64
	Checkpoints                 uint64 // the root's last checkpoint height of the child
	Ticks                       uint64
}

const (
	evmRoot    = types.SubnetID("/sim")
	evmChild   = types.SubnetID("/sim/a")
	evmNetwork = "sim"
	evmUsers   = 2 // child accounts that are funded and release
)

var ether = big.NewInt(params.Ether)

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), ether) }

// evmTree is one EVM tree run.
type evmTree struct {
	seed    uint64
	sc      EVMScenario
	rng     *rand.Rand
	gw      abi.ABI
	root    *simulation
	child   *simulation
	events  []event
	now     uint64
	stable  uint64
	fail    error
	keys    []*ecdsa.PrivateKey // accounts: 0..n-1 validators, n, n+1 users, n+2, n+3 relayers, then child users
	rootGen *config.Genesis
	cg      *gateway.ChildGenesis
	work    [2]*evmWork
	// releases are the root addresses the child users release to, and what.
	releases map[common.Address]*big.Int
	submitAt map[uint64]uint64 // checkpoint height -> tick last submitted
	// forge, when set, makes the child compromised: every child validator
	// signs the first checkpoint carrying messages with its first message
	// worth forge more, which the relayer submits instead of the true one.
	forge  func(circulating *big.Int) *big.Int
	forged bool
	nonces map[common.Address]uint64
}

func (t *evmTree) acct(k int) common.Address { return gethcrypto.PubkeyToAddress(t.keys[k].PublicKey) }

// RunEVMTree simulates sc, everything drawn from seed, with the Pebble
// stores of every node under dir (a fresh temporary directory).
func RunEVMTree(seed uint64, sc EVMScenario, dir string) (*EVMResult, error) {
	t, err := newEVMTree(seed, sc, dir)
	if err != nil {
		return nil, err
	}
	defer t.close()
	return t.run()
}

func newEVMTree(seed uint64, sc EVMScenario, dir string) (*evmTree, error) {
	sc.Scenario = sc.Scenario.withDefaults()
	if sc.Period == 0 {
		sc.Period = 4
	}
	if sc.Funds == 0 {
		sc.Funds = 4
	}
	if err := sc.Scenario.validate(); err != nil {
		return nil, err
	}
	gw, err := gateway.ParseABI()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	t := &evmTree{seed: seed, sc: sc, rng: rng, gw: gw, releases: map[common.Address]*big.Int{}, submitAt: map[uint64]uint64{}, nonces: map[common.Address]uint64{}}
	n := sc.Nodes
	for k := 0; k < n+4+evmUsers; k++ {
		var in [16]byte
		binary.BigEndian.PutUint64(in[:8], seed)
		binary.BigEndian.PutUint64(in[8:], uint64(k))
		key, err := gethcrypto.ToECDSA(gethcrypto.Keccak256([]byte("aspen-sim account"), in[:]))
		if err != nil {
			return nil, err
		}
		t.keys = append(t.keys, key)
	}
	for i := range t.work {
		t.work[i] = &evmWork{now: &t.now}
	}
	chains := []Chain{{Subnet: evmRoot, Parent: -1}, {Subnet: evmChild, Parent: 0}}
	for c := range chains {
		for p := 0; p < n; p++ {
			chains[c].Validators = append(chains[c].Validators, p)
		}
	}
	byz, err := drawByzantine(TreeScenario{Scenario: sc.Scenario, Chains: chains}, rng)
	if err != nil {
		return nil, err
	}
	boot, err := t.bootstrap(filepath.Join(dir, "boot"))
	if err != nil {
		return nil, fmt.Errorf("sim: bootstrap the root: %w", err)
	}
	if t.root, err = t.chain(evmRoot, 0, boot, byz, dir); err != nil {
		return nil, err
	}
	if t.child, err = t.chain(evmChild, 1, nil, byz, dir); err != nil {
		return nil, err
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
	for _, s := range []*simulation{t.root, t.child} {
		s.stable, s.res.Stable = t.stable, t.stable
		if err := s.startAll(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *evmTree) close() {
	for _, s := range []*simulation{t.root, t.child} {
		if s == nil {
			continue
		}
		for _, n := range s.nodes {
			if n.app.real != nil {
				n.app.real.store.Close()
			}
		}
	}
}

// rootKey is root validator i's BLS key, childKey child validator i's.
func (t *evmTree) blsKey(chain, i int) (*crypto.BLSSecretKey, error) {
	return deriveKey(t.seed, 64*chain+i)
}

// genesis is the root's: every validator's and user's account funded.
func (t *evmTree) genesis() (*config.Genesis, error) {
	g := &config.Genesis{SubnetID: string(evmRoot), ChainID: 31337, Engine: bft.Kind.Name, TimestampMs: 1, Alloc: map[common.Address]config.GenesisAccount{}}
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

// bootstrap makes the root's first blocks, before the run: createSubnet
// and a fund before activation, then every validator's join. It returns
// them with their certificates.
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
	params := struct {
		Engine           uint8
		MinValidators    uint32
		MinCollateral    *big.Int
		BlockTimeMs      uint32
		CheckpointPeriod uint32
		GasLimit         uint64
	}{uint8(gateway.EngineBFT), uint32(n), eth(1), 500, uint32(t.sc.Period), 30_000_000}
	create, err := t.gwTx(gen.ChainID, 0, nil, "createSubnet", evmChild.Name(), params)
	if err != nil {
		return nil, err
	}
	early, err := t.gwTx(gen.ChainID, n, eth(3), "fund", string(evmChild), t.acct(n+4))
	if err != nil {
		return nil, err
	}
	var joins []*gethtypes.Transaction
	for i := 0; i < n; i++ {
		k, err := t.blsKey(1, i)
		if err != nil {
			return nil, err
		}
		j, err := t.gwTx(gen.ChainID, i, eth(10), "join", string(evmChild), k.PublicKey().Bytes(), k.ProofOfPossession(), fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/12D3KooWsim", 4001+i))
		if err != nil {
			return nil, err
		}
		joins = append(joins, j)
	}
	var out []consensus.Final
	for _, txs := range [][]*gethtypes.Transaction{{create, early}, joins} {
		head := x.Head()
		var src []sched
		for _, tx := range txs {
			from, _ := gethtypes.Sender(x.Signer(), tx)
			src = append(src, sched{from: from, tx: tx})
		}
		e, err := x.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1, Proposer: t.acct(0)}, &listSource{txs: src})
		if err != nil {
			return nil, err
		}
		if len(e.Block.Txs) != len(txs) {
			return nil, fmt.Errorf("bootstrap block %d holds %d of %d transactions", e.Block.Height(), len(e.Block.Txs), len(txs))
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
	if t.cg, err = gateway.ReadChildGenesis(gs, evmRoot, evmChild); err != nil {
		return nil, err
	}
	return out, nil
}

// childGenesis is the child's genesis from the root's gateway, derived as
// the node derives it (node/subnets.go).
func (t *evmTree) childGenesis(activatedAt *types.Header) (*config.Genesis, error) {
	cg := t.cg
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

// chain makes the simulation of one chain: each node's own store and
// executor, the root's replaying the bootstrap blocks.
func (t *evmTree) chain(id types.SubnetID, c int, boot []consensus.Final, byz map[int]bool, dir string) (*simulation, error) {
	csc := t.sc.Scenario
	csc.Name = t.sc.Name + " " + string(id)
	csc.Partitions, csc.Crashes = false, 0
	s := &simulation{
		seed: t.seed, sc: csc, f: BFT(), rng: t.rng,
		net:      &network{rng: t.rng, loss: csc.Loss, dup: csc.Dup, minDelay: csc.MinDelay, maxDelay: csc.MaxDelay},
		subnet:   id,
		byID:     map[string]int{},
		built:    map[common.Hash]bool{},
		forks:    map[forkKey][]common.Hash{},
		finals:   map[uint64]common.Hash{},
		votes:    map[voteKey]common.Hash{},
		verified: map[common.Hash]bool{},
		splits:   map[splitKey][]int{},
		pairs:    map[int]*pair{},
		trace:    gethcrypto.NewKeccakState(),
		res:      &Result{Seed: t.seed, Scenario: csc},

		appliedTopic: t.gw.Events["CrossMsgApplied"].ID,
	}
	var gen *config.Genesis
	var vals []consensus.Validator
	for i := 0; i < t.sc.Nodes; i++ {
		key, err := t.blsKey(c, i)
		if err != nil {
			return nil, err
		}
		addr := t.acct(i)
		st, err := store.Open(filepath.Join(dir, fmt.Sprintf("n%d", i), id.Name()))
		if err != nil {
			return nil, err
		}
		a := &app{subnet: id, proposer: addr, real: &evmApp{store: st, work: t.work[c], feesBurned: new(big.Int)}}
		opts := evm.Options{StateCacheMB: 4}
		if c == 0 {
			gen = t.rootGen
		} else {
			a.up = t.root.nodes[i].app
			if gen == nil {
				if gen, err = t.childGenesis(a.up.chain[t.cg.ActivatedAt].Block.Header); err != nil {
					return nil, err
				}
			}
			opts.Parent = parentChain{parent: a.up, self: evmRoot, child: id, maxPerAnswer: 256}
			a.real.downApplied = gen.TopDownNonce
		}
		x, err := evm.New(st, gen, opts)
		if err != nil {
			st.Close()
			return nil, err
		}
		a.real.exec = x
		g, err := st.BlockByNumber(0)
		if err != nil {
			return nil, err
		}
		a.chain = []consensus.Final{{Block: g}}
		for _, f := range boot {
			e, err := x.Execute(f.Block)
			if err != nil {
				return nil, err
			}
			if err := x.Commit(e, f.Commit); err != nil {
				return nil, err
			}
			if err := a.real.committed(e, s.appliedTopic); err != nil {
				return nil, err
			}
			a.chain = append(a.chain, f)
		}
		n := &node{index: i, id: fmt.Sprintf("n%d", i), key: key, honest: !byz[i], app: a}
		s.nodes = append(s.nodes, n)
		s.byID[n.id] = i
		s.res.Honest = append(s.res.Honest, n.honest)
		vals = append(vals, consensus.Validator{Address: addr, BLSPublicKey: key.PublicKey().Bytes(), Power: gen.Validators[i].VotingPower()})
	}
	vs, err := consensus.NewValidatorSet(vals)
	if err != nil {
		return nil, err
	}
	s.vs = vs
	s.genesis = s.nodes[0].app.chain[0].Block
	for h, f := range s.nodes[0].app.chain {
		s.finals[uint64(h)] = f.Block.Hash()
		s.built[f.Block.Hash()] = true
	}
	return s, nil
}
