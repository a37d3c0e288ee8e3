// Package sim is a TESTING TOOL: a deterministic whole-network simulator for
// consensus engines. It runs every node of a subnet — a real engine owned by
// the real consensus driver (consensus/driver, stepped by the simulator: no
// goroutine of its own, the virtual clock, the virtual network as its
// transport, an in-memory WAL with consensus/wal's semantics), and an
// application as the driver's executor — in one goroutine on a virtual
// clock, over a virtual network that delays, loses, duplicates and
// reorders messages and can be partitioned, while nodes crash and restart
// (a torn crash dies right after a WAL write) and byzantine validators
// equivocate. Everything follows from one seed, so a failing run is
// replayed exactly with `go test ./sim -run TestSeeds -seed N`.
//
// After every run it checks the invariants of ARCHITECTURE §10 that consensus
// owns: agreement, validity, no double signing across restarts, progress once
// faults end, and evidence of byzantine equivocation.
//
// RunTree runs a tree of chains (root, children, a grandchild), each with its
// own validators, over one network and fault schedule of physical nodes,
// every node on the real driver with a toy application that models the
// gateway; parent blocks queue top-down messages and child blocks apply
// them through their ParentRef. A byzantine physical node equivocates on
// every chain it validates and lies in the child blocks it proposes (a
// parent reference that is not final, does not exist or goes back; more,
// fewer or repeated messages), which honest validators must refuse. It also checks that each
// message is applied exactly once and that all nodes of a subnet apply the
// same ones at the same height (`go test ./sim -run TestTreeSeeds -seed N`
// replays one run); tree_checker_test.go breaks one honest rule at a time to
// show each check can fail.
//
// The tree also models value both ways (bottomup.go). A parent locks the
// value of each top-down message it queues (its circulating supply for the
// child grows) and the child mints it when it applies the message; child
// blocks send value up, burning it into the child's up queue. Every P-th
// child height is a checkpoint of that queue, certified once the child
// finalizes it; a parent block includes the next ones, and the parent pays
// their messages out of the child's circulating supply. Honest parent
// validators refuse a block whose checkpoints are out of order, repeated,
// uncertified or pay more than that supply (the firewall); a byzantine
// proposer tries each. The run checks that parents apply every checkpoint
// once, in order, within Lag heights of its certificate; that no
// circulating supply goes negative; and that supplies plus value in flight
// equal the genesis total at the end (bottomup_test.go breaks each rule).
//
// RunEVMTree (evmtree.go, evmrun.go) runs the code that ships end to end:
// a root and a child subnet whose nodes each run, per chain, the bft
// engine, the driver and the real executor (execution/evm with the
// gateway) over their own Pebble store in a temporary directory. The root
// creates the child with createSubnet and join transactions; users fund the
// child (top-down, applied through the child's ParentRef from the node's
// own root chain) and release value back (bottom-up) through checkpoints
// that xnet.Build assembles and the root's gateway verifies, each submitted
// twice. It checks, on the real state, top-down exactly once per block,
// every message applied both ways, every release paid exactly once,
// conservation on the root and between the chains (with the burned base
// fees), and the firewall; a compromised child that signs an inflated
// checkpoint is caught (evmtree_test.go). The toy tree above stays for what
// only a model can do: switching one honest rule of the gateway or the
// executor off at a time.
//
// An EVM tree may run atomic plans (EVMScenario.Plans, evmatomic.go): plans
// of 2–3 plain value legs on the root and its children, each submitted on
// the root (their lowest common ancestor) by an account of its own and
// decided by a harness once every leg voted, one voted no or the deadline
// passed. Stall crashes two of the last child's four validators as a plan
// with a leg there is submitted, until the root decided it; Compromised
// gives the first child a byzantine quorum that signs into each checkpoint
// one forged message (evmatomicbyz.go): a yes for another subnet's leg,
// from a made-up subnet below it, for a plan never submitted, for its own
// leg before it prepared it, a second contrary vote, a commit for a
// sibling's leg, a payout over its circulating supply. Once settled, every
// plan must be decided with all its legs committed or all aborted; commit
// only with a yes from every leg, each honest leg's yes prepared on its
// subnet by the last checkpoint the root held at the decision; each target
// paid its value once on commit and nothing on abort; each submitter's
// balance its funds less fee and value plus the escrow of its aborted legs;
// no escrow left in a child's gateway; the stalled subnet's plan aborted;
// and conservation and the firewall as above (TestEVMAtomicSeeds;
// evmatomic_checker_test.go breaks each rule).
//
// An EVM tree may run a jury (EVMScenario.Jury; evmjury.go, evmjuror.go,
// evmjurycheck.go): every root node bonds as a juror with joinJury at the
// start, so the root's real gateway holds each signed checkpoint's payouts
// for a drawn jury of 15 seats. After each root block each juror node reads
// its seats on its own final state (gateway.HeldCheckpoints, JurySeats),
// re-executes the period's child blocks with the stateless executor from
// witnesses built by a child node's executor (read straight from the
// node's store: the real node fetches them with aspen_getWitness), attests
// with its BLS key and, on a block that does not execute to its header,
// submits proveFraud, which the root re-executes with evm.FraudChecker.
// With Forge every executor of the child runs evm.FaultMint: a user's
// self-send mints coins its quorum signs, and the user releases more than it
// ever had to the root. With Liar the lightest juror attests valid without
// judging. On every honest root node, after every block: no checkpoint at or
// above the forged block is paid (released, or paid at an unheld commit)
// and the forged release's root address stays empty; no checkpoint is paid
// twice. Once settled: the fraud proven, the child frozen, its signers'
// stake and the bond of every juror who attested it valid gone, every
// other juror's bond intact, every honest checkpoint released exactly once,
// and the root's balances plus burned fees and slashes equal its genesis
// (TestEVMJurySeeds, 3 seeds, ASPEN_SIM_JURY_SEEDS=N for more;
// evmjury_checker_test.go runs the forged seed with nobody bonded and with
// every juror lying, where the forged value reaches the root, and breaks
// each final rule).
//
// An EVM tree's root may be a pow chain (EVMScenario.Pow, pow.go): the
// real pow engine on every node, mining at difficulty 1 through a virtual
// sealer that finds each block after a seeded exponential delay in virtual
// time, blocks tentative until Confirmations deep. A run checks agreement
// on final blocks, that finality never rewinds, that every final chain is
// on the heaviest chain, that transactions given back by reorgs become
// final, conservation, and (with bft children) that children reference only
// final root blocks while releases are paid once across root reorgs
// (TestPowSeeds, TestPowTreeSeeds; pow_checker_test.go breaks each).
//
// RunScale (scale.go) is the scale-out scenario: a toy tree of 10 to 1,000
// bft subnets over about Subnets/5 physical nodes, each validating 5–10
// subnets (windows of consecutive subnets in depth-first order, drawn from
// the seed) and following their ancestors without a seat (Chain.Followers:
// a bft engine with no key, which gets the chain's consensus messages and
// finalizes on its certificates, as a node runs every ancestor of what it
// validates). The root has RootChildren direct children, everything else
// hangs below them to Depth 3; node 0 validates a home subnet and its five
// leaves with node 1 at every size, and follows the root (validated by
// nodes 2 and 3). A meter (meter.go) counts, per node and chain, the
// messages and bytes the network delivered and the wall time the node's
// driver spent handling them; it changes nothing of the run. The toy tree,
// not the EVM tree, hosts 1,000 subnets on one core: per node it runs the
// same engine, driver and messages as the node's consensus topics, and
// what it leaves out (transactions, checkpoint signatures gossiped on
// their own topic, EVM execution) is per subnet the node runs as well.
// TestScaleFlat asserts node 0's messages per block stay within 25% from
// 10 to 30 subnets, 10 to 100 with ASPEN_SIM_SCALE=1 (a node subscribed to
// every topic gets 7 and 26 times as many) and the root's checkpoints per block follow its direct children
// (a flat tree of 20, 13 of them children of the root, fails it);
// ASPEN_SIM_SCALE=1 go test ./sim
// -run TestScaleReport prints, at 10, 100 and 1,000 subnets:
//
//	subnets nodes depth | msgs/block med max trk | bytes/block med max trk | handler/block med max trk | root ck/b
//	     10     4     2 |  2.79  3.05  2.74      |   752   767   578       |  5.3ms  6.3ms  6.3ms      | 0.67
//	    100    21     3 |  2.44  3.29  2.76      |   558   793   593       |  4.5ms  6.5ms  6.5ms      | 0.67
//	   1000   201     3 |  2.27  3.38  2.72      |   568   872   568       |  4.6ms  7.8ms  6.6ms      | 0.83
//
// (per node, per block of the chains it runs; med and max over nodes, trk
// node 0; handler is wall time in its drivers, mostly BLS, on a shared
// 2-core machine, for comparison across rows only; root ck/b over its first
// six blocks, 4–5 checkpoints from 3 direct children, 1 per block in the
// long run. The 1,000-subnet run takes about 90 s.)
//
// The real node never imports this package (internal/archtest enforces it).
package sim
