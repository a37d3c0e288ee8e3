package node

import (
	"os"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// newFraudChecker is the gateway's fraud verifier of a chain whose
// executor checks engine evidence and PoW segments with evidence and pow:
// a child block re-executed for a fraud proof runs the child's gateway with
// the same verifiers, this one included, as the child's own nodes do.
func newFraudChecker(evidence gateway.EvidenceVerifier, pow gateway.PowVerifier) *evm.FraudChecker {
	f := &evm.FraudChecker{Genesis: fraudGenesis}
	f.Opts = evm.Options{Evidence: evidence, Pow: pow, Fraud: f}
	return f
}

// fraudGenesis is the genesis of the child cg as its nodes derive it, but
// for its timestamp: that dates block 0 only, which no fraud proof
// re-executes (the block proven comes after a checkpoint or the genesis), and
// leaving it out keeps the answer independent of which chain's headers this
// node holds (a child block may itself prove a grandchild's fraud).
func fraudGenesis(cg *gateway.ChildGenesis) (*config.Genesis, error) {
	return childGenesis(cg, &types.Header{})
}

// faultFor is the fault ASPEN_FAULT_MINT injects into chain id's executor,
// if it names id (evm.FaultMint: end-to-end tests of a captured quorum).
func faultFor(id types.SubnetID) (*evm.FaultMint, error) {
	s := os.Getenv("ASPEN_FAULT_MINT")
	if s == "" {
		return nil, nil
	}
	f, err := evm.ParseFaultMint(s)
	if err != nil || f.Subnet != id {
		return nil, err
	}
	return f, nil
}
