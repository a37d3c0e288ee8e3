package gateway

import (
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// TestABIMatchesSolidity pins every function and event signature of
// design/IGateway.sol, so a typo in the hand-written JSON ABI cannot go unnoticed.
func TestABIMatchesSolidity(t *testing.T) {
	parsed, err := ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	params := "(uint8,uint32,uint256,uint32,uint32,uint64)"
	functions := map[string]string{
		"subnetId":            "subnetId()",
		"parentId":            "parentId()",
		"createSubnet":        "createSubnet(string," + params + ")",
		"createPowSubnet":     "createPowSubnet(string," + params + ",uint32)",
		"confirmations":       "confirmations(string)",
		"join":                "join(string,bytes,bytes,string)",
		"stake":               "stake(string)",
		"leave":               "leave(string)",
		"kill":                "kill(string)",
		"subnet":              "subnet(string)",
		"children":            "children()",
		"fund":                "fund(string,address)",
		"release":             "release(address)",
		"send":                "send(string,address,bytes)",
		"crossMsgOrigin":      "crossMsgOrigin()",
		"submitCheckpoint":    "submitCheckpoint(bytes,bytes,bytes)",
		"submitPowCheckpoint": "submitPowCheckpoint(bytes,bytes,bytes)",
		"submitEvidence":      "submitEvidence(string,bytes)",
		"proveFraud":          "proveFraud(string,bytes,bytes,bytes,bytes)",
		"atomicSubmit":        "atomicSubmit((string,address,uint256,bytes)[],uint64)",
		"atomicDecide":        "atomicDecide(bytes32)",
		"atomicPlan":          "atomicPlan(bytes32)",
		"atomicLeg":           "atomicLeg(string,bytes32,uint64)",
		"setStallWindow":      "setStallWindow(string,uint64)",
		"stallWindow":         "stallWindow(string)",
		"claimRoot":           "claimRoot(string)",
		"claimed":             "claimed(string,address)",
		"claim":               "claim(string,address,bytes)",
		"reclaim":             "reclaim(string,uint64)",
		"registerClaimToken":  "registerClaimToken(string,address,uint256,uint256)",
		"claimTokenOf":        "claimTokenOf(string,address)",
		"tokenClaimed":        "tokenClaimed(string,address,address)",
		"claimToken":          "claimToken(string,address,address,bytes)",
		"setJury":             "setJury(string,uint32)",
		"setPrivacy":          "setPrivacy(string,uint8)",
		"privacyOf":           "privacyOf(string)",
		"juryFor":             "juryFor(string)",
		"joinJury":            "joinJury(bytes,bytes)",
		"leaveJury":           "leaveJury()",
		"withdrawJuryBond":    "withdrawJuryBond()",
		"jurors":              "jurors()",
		"attest":              "attest(string,uint64,bytes32,bool,bytes)",
		"releaseCheckpoints":  "releaseCheckpoints(string)",
		"heldCheckpoint":      "heldCheckpoint(string)",
		"jury":                "jury(string,uint64)",
	}
	if len(parsed.Methods) != len(functions) {
		t.Errorf("ABI has %d functions, IGateway.sol has %d", len(parsed.Methods), len(functions))
	}
	for name, sig := range functions {
		if m, ok := parsed.Methods[name]; !ok || m.Sig != sig {
			t.Errorf("function %s: got %q, want %q", name, m.Sig, sig)
		}
	}
	payable := map[string]bool{"join": true, "stake": true, "fund": true, "release": true, "send": true, "atomicSubmit": true, "joinJury": true}
	for name, m := range parsed.Methods {
		if m.IsPayable() != payable[name] {
			t.Errorf("function %s: payable = %v", name, m.IsPayable())
		}
	}
	info := parsed.Methods["subnet"].Outputs[0].Type.String()
	if want := "(string," + params + ",uint8,address,uint64,uint256,uint64,bytes32,uint64,(address,bytes,string,uint256)[])"; info != want {
		t.Errorf("SubnetInfo = %s, want %s", info, want)
	}
	events := map[string]string{
		"SubnetCreated":        "SubnetCreated(string,address,uint8)",
		"ValidatorJoined":      "ValidatorJoined(string,address,uint256)",
		"ValidatorLeft":        "ValidatorLeft(string,address,uint256)",
		"SubnetActivated":      "SubnetActivated(string,uint64)",
		"SubnetKilled":         "SubnetKilled(string)",
		"CrossMsgSent":         "CrossMsgSent(bytes32,string,string,address,address,uint256,uint64)",
		"CrossMsgApplied":      "CrossMsgApplied(bytes32,bool,bytes)",
		"CheckpointCommitted":  "CheckpointCommitted(string,uint64,bytes32,uint256)",
		"CheckpointRejected":   "CheckpointRejected(string,uint64,string)",
		"CrossMsgForwarded":    "CrossMsgForwarded(bytes32,string)",
		"ValidatorSlashed":     "ValidatorSlashed(string,address,uint256,string)",
		"FraudProven":          "FraudProven(string,uint64,uint64,address,uint256,uint256,string)",
		"AtomicSubmitted":      "AtomicSubmitted(bytes32,address,uint64,uint64)",
		"AtomicPrepared":       "AtomicPrepared(bytes32,uint64,bool,bytes)",
		"AtomicVoted":          "AtomicVoted(bytes32,uint64,uint8)",
		"AtomicDecided":        "AtomicDecided(bytes32,bool)",
		"AtomicFinished":       "AtomicFinished(bytes32,uint64,uint8,bytes)",
		"SubnetFrozen":         "SubnetFrozen(string,uint64,bytes32)",
		"Claimed":              "Claimed(string,address,uint256)",
		"ClaimTokenRegistered": "ClaimTokenRegistered(string,address,address,uint256,uint256)",
		"TokenClaimed":         "TokenClaimed(string,address,address,uint256)",
		"JurorJoined":          "JurorJoined(address,bytes,uint256)",
		"JurorLeft":            "JurorLeft(address,uint64)",
		"JurorWithdrawn":       "JurorWithdrawn(address,uint256)",
		"CheckpointHeld":       "CheckpointHeld(string,uint64,uint32,uint64)",
		"JuryDrawn":            "JuryDrawn(string,uint64,uint64,address[])",
		"Attested":             "Attested(string,uint64,address,bool,uint32)",
		"JuryVerdict":          "JuryVerdict(string,uint64,uint64,bool)",
		"JurorMissed":          "JurorMissed(string,uint64,uint64,address,uint32)",
		"CheckpointReleased":   "CheckpointReleased(string,uint64,uint256)",
		"CheckpointsDiscarded": "CheckpointsDiscarded(string,uint64,uint64)",
		"JurorSlashed":         "JurorSlashed(string,uint64,address,uint256)",
	}
	if len(parsed.Events) != len(events) {
		t.Errorf("ABI has %d events, IGateway.sol has %d", len(parsed.Events), len(events))
	}
	for name, sig := range events {
		if e, ok := parsed.Events[name]; !ok || e.Sig != sig {
			t.Errorf("event %s: got %q, want %q", name, e.Sig, sig)
		}
	}
}

func run(t *testing.T, g *Gateway, method string, args ...any) ([]byte, error) {
	t.Helper()
	input, err := g.ABI().Pack(method, args...)
	if err != nil {
		t.Fatal(err)
	}
	return g.Run(newMemState(), Call{Input: input})
}

func TestSubnetAndParentID(t *testing.T) {
	tests := []struct{ subnet, parent string }{
		{"/devnet", ""},
		{"/devnet/games", "/devnet"},
		{"/devnet/games/chess", "/devnet/games"},
	}
	for _, tt := range tests {
		g, err := New(types.SubnetID(tt.subnet), Options{})
		if err != nil {
			t.Fatal(err)
		}
		for method, want := range map[string]string{"subnetId": tt.subnet, "parentId": tt.parent} {
			ret, err := run(t, g, method)
			if err != nil {
				t.Fatalf("%s on %s: %v", method, tt.subnet, err)
			}
			out, err := g.ABI().Unpack(method, ret)
			if err != nil {
				t.Fatal(err)
			}
			if out[0].(string) != want {
				t.Errorf("%s on %s = %q, want %q", method, tt.subnet, out[0], want)
			}
		}
	}
}

func TestMalformedCallsRevert(t *testing.T) {
	g, err := New("/devnet", Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		input []byte
		want  string
	}{
		{mustPack(t, g, "release", common.Address{1}), "gateway: release: /devnet is a root chain and has no parent"},
		{mustPack(t, g, "send", "/devnet/games", common.Address{1}, []byte{}), "gateway: send to /devnet/games carries neither value nor call data"},
		{mustPack(t, g, "submitCheckpoint", []byte{}, []byte{}, []byte{}), "gateway: submitCheckpoint: types: invalid checkpoint"},
		{[]byte{1, 2, 3, 4}, "gateway: unknown function selector 0x01020304"},
		{nil, "gateway: call data is empty"},
		{g.ABI().Methods["stake"].ID, "gateway: stake: malformed arguments"},
	}
	for _, tt := range tests {
		ret, err := g.Run(newMemState(), Call{Input: tt.input})
		if !errors.Is(err, ErrReverted) {
			t.Fatalf("Run(%x) err = %v, want ErrReverted", tt.input, err)
		}
		reason, uerr := abi.UnpackRevert(ret)
		if uerr != nil {
			t.Fatalf("revert payload %x is not Error(string): %v", ret, uerr)
		}
		if !strings.HasPrefix(reason, tt.want) {
			t.Errorf("reason %q, want prefix %q", reason, tt.want)
		}
	}
}

func TestNewRejectsBadSubnet(t *testing.T) {
	if _, err := New("devnet", Options{}); err == nil {
		t.Fatal("New accepted a subnet ID without a leading /")
	}
}

func mustPack(t testing.TB, g *Gateway, method string, args ...any) []byte {
	t.Helper()
	b, err := g.ABI().Pack(method, args...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
