package sim

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// The jury in an EVM tree (EVMScenario.Jury; CROSSNET.md, "Jury" and
// "Fraud proofs"). Every root node bonds as a juror with joinJury at the
// start, so the root's real gateway holds each signed checkpoint's payouts
// until a drawn jury attests it. After each root block, each juror node
// reads what its own state holds for it (gateway.HeldCheckpoints,
// gateway.JurySeats), re-executes the period's child blocks with the
// stateless executor from witnesses, attests with its BLS key and, when a
// block does not execute to its header, submits proveFraud (the real
// gateway re-executes it with evm.FraudChecker). With Forge, every executor
// of the first child runs evm.FaultMint: a child user's self-send mints
// coins its quorum agrees on and signs, which the user then releases to the
// root on the normal bottom-up path. With Liar, the last root node's juror
// attests valid without judging. The checks (evmjurycheck.go) run on every
// honest root node's real state after every block and once settled.

// Errors of the jury checks.
var (
	ErrForgedPayout    = errors.New("sim: an honest root node paid out a checkpoint covering a forged child block")
	ErrFraudUnpunished = errors.New("sim: a forged checkpoint's fraud was not proven, its child not frozen, or its signers or the jurors who attested it valid kept their stake")
	ErrJuryWithheld    = errors.New("sim: the jury withheld an honest checkpoint's payout, paid one twice, or cost an honest juror its bond")
)

// JuryParams configure the jury of an EVM tree.
type JuryParams struct {
	// Forge gives the first child a quorum whose every executor runs
	// evm.FaultMint for the child's first user, who self-sends, is credited
	// mintEther out of nothing and releases forgedEther of it to the root:
	// more than it ever had, within the child's circulating supply.
	Forge bool
	// Liar makes the last root node's juror attest every checkpoint it
	// sits on valid, without judging, as soon as it can.
	Liar  bool
	knobs juryKnobs
}

// juryKnobs break one part of a jury run (tests: the checks must fire).
type juryKnobs struct {
	noBond bool // nobody bonds: no jury is in effect, payouts at commit
	lieAll bool // every juror attests valid without judging
}

const (
	// jurySeats is the children's jury, set by their creator: with the
	// lying juror at a ninth of the pool's weight it sits on 83% of the
	// juries and holds a majority of one with odds of about 7e-5.
	jurySeats   = 15
	juryBond    = 2  // ether an honest juror bonds
	liarBond    = 1  // ether the lying juror bonds: half an honest one's weight
	judgeTicks  = 2  // ticks an honest juror takes to fetch and re-execute a period
	juryResend  = 30 // ticks before a juror sends again a verdict that did not show
	mintEther   = 50 // what the fault mints
	forgedEther = 15 // what the minting user releases to the root
	juryFund    = 20 // ether funded to the forging child's second user: its supply covers forgedEther
)

// juryRun is the jurors of an EVM tree and what the checks recorded.
type juryRun struct {
	p    JuryParams
	liar int // the root node whose juror lies; -1 none
	// mint is the fault the first child's executors run (Forge), mintTx
	// the self-send that triggers it, forgedDst the root address its
	// forged value is released to, forgedAt the child height of the first
	// final block holding mintTx (0 until then).
	mint      *evm.FaultMint
	mintTx    common.Hash
	forgedDst common.Address
	forgedAt  uint64
	scanned   uint64           // child heights searched for mintTx
	bonded    []*big.Int       // per root node, its bond; nil: not a juror
	stateless []*evm.Stateless // per chain, the jurors' re-executor (nil for the root)
	ckpts     map[common.Hash]ckptSubmission
	nodes     []*jurorNode // per root node
	stats     JuryStats
}

// JuryStats is what a jury run did, as the highest honest root node saw it.
type JuryStats struct {
	Held, Released int    // checkpoints held for a jury, and released by it
	Attested       int    // attestations that landed
	ForgedAt       uint64 // the child height of the first forged block (0: none)
	Proven         bool   // a fraud proof landed
	LiarSlashed    bool   // the lying juror attested a proven checkpoint valid and lost its bond
}

// ckptSubmission is a checkpoint as submitted on the root: what proveFraud
// re-supplies (a real node reads it from the submitting transaction too).
type ckptSubmission struct {
	enc, bitmap []byte
	cp          *types.Checkpoint
}

// ckptKey names a checkpoint of child c at height.
type ckptKey struct {
	c      int
	height uint64
}

// jurorNode is one root node: its juror's memory and what its blocks showed.
type jurorNode struct {
	checked, acted uint64   // root heights checked, and acted on by the juror
	burned         *big.Int // slashed stakes burned (FraudProven: slashed less the reward)
	committed      map[ckptKey]bool
	paid           map[ckptKey]int // payouts: released, or made at an unheld commit
	held           map[ckptKey]bool
	proven         map[ckptKey]bool
	validBy        map[ckptKey][]common.Address // jurors who attested it valid
	attested       int
	seen           map[common.Hash]uint64 // held checkpoint -> tick first seen
	verdicts       map[common.Hash]*juryVerdict
	sent           map[sentKey]uint64 // verdict or proof sent -> tick
}

type sentKey struct {
	hash  common.Hash
	round uint64
}

// juryVerdict is a juror's judgement of a checkpoint's period; proof is
// proveFraud's call data when a block does not execute to its header.
type juryVerdict struct {
	valid  bool
	reason string
	proof  []byte
}

func newJuryRun(p JuryParams, nodes int) *juryRun {
	j := &juryRun{p: p, liar: -1, ckpts: map[common.Hash]ckptSubmission{}}
	if p.Liar {
		j.liar = nodes - 1
	}
	for range nodes {
		j.bonded = append(j.bonded, nil)
		j.nodes = append(j.nodes, &jurorNode{
			burned: new(big.Int), committed: map[ckptKey]bool{}, paid: map[ckptKey]int{}, held: map[ckptKey]bool{},
			proven: map[ckptKey]bool{}, validBy: map[ckptKey][]common.Address{}, seen: map[common.Hash]uint64{},
			verdicts: map[common.Hash]*juryVerdict{}, sent: map[sentKey]uint64{},
		})
	}
	return j
}

// juryOptions sets chain c's executor options: the root re-executes
// children's blocks in proveFraud; with Forge, the first child's executors
// mint.
func (t *evmTree) juryOptions(c int, opts *evm.Options) {
	j := t.jury
	switch {
	case c == 0:
		opts.Fraud = &evm.FraudChecker{Genesis: func(cg *gateway.ChildGenesis) (*config.Genesis, error) {
			// As the node's fraudGenesis: the timestamp dates block 0 only.
			return t.childGenesis(cg, &types.Header{})
		}}
	case c == 1 && j.p.Forge:
		if j.mint == nil {
			j.mint = &evm.FaultMint{Subnet: t.ids[1], Account: t.acct(t.user(1, 0)), Amount: eth(mintEther)}
			j.forgedDst = common.Address{0xf0, 0x7e, byte(t.seed)}
		}
		opts.Fault = j.mint
	}
}

// scheduleJury bonds every root node as a juror at tick 0 and, with Forge,
// schedules the mint and the forged release on the first child.
func (t *evmTree) scheduleJury() {
	j, n := t.jury, t.sc.Nodes
	for p := 0; p < n && !j.p.knobs.noBond; p++ {
		bond := eth(juryBond)
		if p == j.liar {
			bond = eth(liarBond)
		}
		key, err := t.blsKey(0, p)
		if err != nil {
			panic(err) // derived keys of the run's nodes
		}
		tx, err := t.gwTx(t.rootGen.ChainID, p, bond, "joinJury", key.PublicKey().Bytes(), key.ProofOfPossession())
		if err != nil {
			panic(err) // packing a known method with well-typed arguments
		}
		j.bonded[p] = bond
		t.work[0].add(0, t.acct(p), tx)
	}
	for c := 1; c < len(t.ids); c++ {
		tx, err := t.gwTx(t.rootGen.ChainID, 0, nil, "setJury", string(t.ids[c]), uint32(jurySeats))
		if err != nil {
			panic(err)
		}
		t.work[0].add(0, t.acct(0), tx) // node 0 created every child
	}
	if !j.p.Forge {
		return
	}
	u, chainID := t.user(1, 0), t.cgs[1].ChainID
	fund, err := t.gwTx(t.rootGen.ChainID, n, eth(juryFund), "fund", string(t.ids[1]), t.acct(t.user(1, 1)))
	if err != nil {
		panic(err)
	}
	t.work[0].add(5, t.acct(n), fund)
	// Minted and sent up at once, as an attacker would: the forged value
	// rides in the checkpoint that vouches for the forged block.
	self := t.tx(chainID, u, t.acct(u), new(big.Int), 21_000, nil)
	j.mintTx = self.Hash()
	t.work[1].add(30, t.acct(u), self)
	up, err := t.gwTx(chainID, u, eth(forgedEther), "release", j.forgedDst)
	if err != nil {
		panic(err)
	}
	t.work[1].add(30, t.acct(u), up)
}

// juryTick runs after every tick: the per-block checks of every honest
// root node, then each juror node's duties once per new root block.
func (t *evmTree) juryTick() {
	t.findForged()
	for i, n := range t.chains[0].nodes {
		if !n.honest {
			continue
		}
		t.checkRootBlocks(i)
		if t.fail != nil {
			return
		}
		if jn := t.jury.nodes[i]; t.jury.bonded[i] != nil && n.up() && n.app.height() > jn.acted {
			jn.acted = n.app.height()
			t.serveJury(i)
		}
	}
}

// findForged records the child height of the block that holds the mint,
// once a child node finalized it: every checkpoint at or above it vouches
// for forged state.
func (t *evmTree) findForged() {
	j := t.jury
	if j.mint == nil || j.forgedAt != 0 {
		return
	}
	b := t.best(1)
	for ; j.scanned < b.app.height(); j.scanned++ {
		for _, tx := range b.app.chain[j.scanned+1].Block.Txs {
			if tx.Hash() == j.mintTx {
				j.forgedAt, j.stats.ForgedAt = j.scanned+1, j.scanned+1
				return
			}
		}
	}
}

// forged reports whether child c's checkpoint at height vouches for a
// forged block.
func (j *juryRun) forged(c int, height uint64) bool {
	return j.mint != nil && c == 1 && j.forgedAt != 0 && height >= j.forgedAt
}

// frozen reports whether the root state rs shows child id frozen by a
// fraud proof (a stall window, which no run reaches, is not asked).
func (j *juryRun) frozen(rs gateway.StateReader, id types.SubnetID) bool {
	isFrozen, _, _ := gateway.ClaimRoot(rs, 0, evmRoot, id)
	return isFrozen
}

// jurySettled names what the jury still has to do: an honest root node
// behind the highest (the final checks read every one), a checkpoint held
// on the highest, or, with Forge, the forged block not final or its child
// not frozen yet.
func (t *evmTree) jurySettled(rs gateway.StateReader) string {
	j := t.jury
	if j.p.Forge && j.forgedAt == 0 {
		return "the forged child block is not final yet"
	}
	if j.p.Forge && !j.frozen(rs, t.ids[1]) && !j.p.knobs.noBond {
		return fmt.Sprintf("%s is not frozen yet", t.ids[1])
	}
	best := t.best(0).app.height()
	for i, n := range t.chains[0].nodes {
		if n.honest && n.up() && n.app.height() < best {
			return fmt.Sprintf("root node %d is at height %d, the highest at %d", i, n.app.height(), best)
		}
	}
	for c := 1; c < len(t.ids); c++ {
		held, err := gateway.HeldCheckpoints(rs, evmRoot, t.ids[c])
		if err != nil {
			return err.Error()
		}
		if len(held) > 0 {
			return fmt.Sprintf("%d checkpoints of %s held for the jury, from height %d", len(held), t.ids[c], held[0].Height)
		}
	}
	return ""
}

// checkFrozenReleases checks, for a child proven fraudulent, that each
// release's root address holds its value (its checkpoint was released
// before) or nothing (it was discarded), never another amount.
func (j *juryRun) checkFrozenReleases(rx *evm.Executor, at *types.Header, releases map[common.Address]*big.Int) error {
	for dst, want := range releases {
		got, err := rx.Balance(at, dst)
		if err != nil {
			return err
		}
		if got.Sign() != 0 && got.Cmp(want) != 0 {
			return fmt.Errorf("release to %s paid %s on the root, sent %s", dst, got, want)
		}
	}
	return nil
}
