package gateway

import (
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
)

// TestMethodTableMatchesABI holds the one method table and the ABI
// together: every IGateway function has exactly one row with a handler and
// a price, and no row names a function the ABI does not have.
func TestMethodTableMatchesABI(t *testing.T) {
	parsed, err := ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	for name := range parsed.Methods {
		md, ok := methods[name]
		if !ok {
			t.Errorf("ABI function %s has no row in the method table", name)
			continue
		}
		if md.run == nil || md.gas == nil {
			t.Errorf("method table row %s lacks a handler or a price", name)
		}
	}
	for name := range methods {
		if _, ok := parsed.Methods[name]; !ok {
			t.Errorf("method table row %s is not an IGateway function", name)
		}
	}
	if len(methods) != len(parsed.Methods) {
		t.Errorf("method table has %d rows, the ABI %d functions", len(methods), len(parsed.Methods))
	}
}

// TestStaticCallsFollowStateMutability: a read-only frame is refused
// exactly the functions the ABI does not declare view or pure, and these
// are the ones that write state.
func TestStaticCallsFollowStateMutability(t *testing.T) {
	g, err := New("/devnet/games", Options{})
	if err != nil {
		t.Fatal(err)
	}
	writes := map[string]bool{
		"createSubnet": true, "createPowSubnet": true, "join": true, "stake": true, "leave": true, "kill": true,
		"fund": true, "release": true, "send": true, "submitCheckpoint": true, "submitPowCheckpoint": true, "submitEvidence": true, "proveFraud": true,
		"atomicSubmit": true, "atomicDecide": true,
		"setStallWindow": true, "claim": true, "reclaim": true, "registerClaimToken": true, "claimToken": true,
		"setJury": true, "setPrivacy": true, "joinJury": true, "leaveJury": true, "withdrawJuryBond": true, "attest": true, "releaseCheckpoints": true,
	}
	for name, m := range g.ABI().Methods {
		input := append(append([]byte{}, m.ID...), zeroArgs...)
		ret, _ := g.Run(newMemState(), Call{Input: input, ReadOnly: true})
		reason, _ := abi.UnpackRevert(ret)
		refused := strings.Contains(reason, "cannot run in a static call")
		if refused != writes[name] {
			t.Errorf("static call of %s: refused = %v (reason %q), want %v", name, refused, reason, writes[name])
		}
	}
}

// zeroArgs is input every function decodes: all-zero words read as zero
// numbers, and every dynamic argument's offset 0 points at a zero length.
var zeroArgs = make([]byte, 32*32)
