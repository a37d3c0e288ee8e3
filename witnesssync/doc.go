// Package witnesssync serves and fetches a subnet's final blocks together
// with their execution witnesses over one p2p.Host stream protocol,
// p2p.WitnessProtocol, for every subnet a node runs: what a juror (or a fraud
// prover) that does not run a child needs to re-execute its blocks.
//
// A Server answers "blocks From..From+Count-1 of subnet S, each with its
// witness" from the subnets' Sources, building witnesses on demand (one at a
// time per node) and keeping the latest ones in a small cache. It refuses, with
// an answer code that says why, subnets it does not run, heights it does not
// hold, and peers over their rate or concurrency limits or that sent
// malformed requests.
//
// A Fetcher fetches a whole period (FetchPeriod): from this node's own
// Source first, then from the peers serving the subnet, one after the other.
// It checks that the blocks form a hash chain ending at a hash the caller
// trusts (a committed checkpoint's BlockHash), runs the caller's Check on
// each item (the re-execution), and bans a peer whose answer does not check.
// It moves and links bytes only: whether a block executes to its header is
// the Check's job (execution/evm's FraudChecker, through the caller).
//
// Wire format: every request and answer is one version byte (1) followed by
// an RLP list; see wire.go.
package witnesssync
