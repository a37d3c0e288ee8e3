package gateway

import (
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// method is one IGateway function: what it does and what it costs beyond
// the base price of every call. Whether it may change state is not here: it
// is the ABI's stateMutability (see mutates), so the interface and the
// static-call check cannot disagree.
type method struct {
	// run executes the call; args are the ABI-decoded inputs and the result
	// is packed with the function's ABI outputs.
	run func(x *call, args []any) ([]any, error)
	// gas prices the call on the state it will find (see gas.go's schedule),
	// in addition to gasBase and the input words.
	gas func(g *Gateway, st StateReader, c Call, args []any) uint64
}

// methods is the one table of IGateway functions: a new function is an ABI
// entry plus a row here (TestMethodTableMatchesABI holds the two together).
var methods = map[string]method{
	"subnetId": {
		run: func(x *call, _ []any) ([]any, error) { return []any{string(x.g.subnet)}, nil },
		gas: noExtraGas,
	},
	"parentId": {
		run: func(x *call, _ []any) ([]any, error) { return []any{string(x.g.subnet.Parent())}, nil },
		gas: noExtraGas,
	},
	"crossMsgOrigin": {
		run: func(x *call, _ []any) ([]any, error) {
			src, from := CrossMsgOrigin(x.st)
			return []any{src, from}, nil
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * 4 },
	},
	"children": {
		run: func(x *call, _ []any) ([]any, error) { return x.children(), nil },
		gas: func(_ *Gateway, st StateReader, _ Call, _ []any) uint64 { return gasRead * (1 + childCount(st)) },
	},
	"subnet": {
		run: func(x *call, args []any) ([]any, error) { return x.subnet(args[0].(string)) },
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			return gasRead * (18 + (1+recordSlots)*validatorCount(st, g.childName(args)))
		},
	},
	"createSubnet": {
		run: func(x *call, args []any) ([]any, error) {
			var p ABIParams
			convert(args[1], &p)
			params := p.params()
			if params.Engine == EnginePoW {
				params.Confirmations = DefaultConfirmations
			}
			return x.createSubnet(args[0].(string), params)
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasWrite*13 + gasEvent },
	},
	"createPowSubnet": {
		run: func(x *call, args []any) ([]any, error) {
			var p ABIParams
			convert(args[1], &p)
			params := p.params()
			if params.Engine != EnginePoW {
				return nil, reverted("gateway: createPowSubnet makes PoW subnets (engine 2), got engine %s; use createSubnet", params.Engine)
			}
			params.Confirmations = args[2].(uint32)
			return x.createSubnet(args[0].(string), params)
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasWrite*13 + gasEvent },
	},
	"confirmations": {
		run: func(x *call, args []any) ([]any, error) {
			name, err := x.resolve(args[0].(string))
			if err != nil {
				return nil, err
			}
			return []any{readParams(x.st, name).Confirmations}, nil
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * 2 },
	},
	"join": {
		run: func(x *call, args []any) ([]any, error) {
			return nil, x.join(args[0].(string), args[1].([]byte), args[2].([]byte), args[3].(string))
		},
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			return gasPoP + gasWrite*(recordSlots+6) + gasEvent + gasSeatKeys + seatChangeGas(st, g.childName(args), 1)
		},
	},
	"stake": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.stake(args[0].(string)) },
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			return gasWrite*(recordSlots+5) + seatChangeGas(st, g.childName(args), 0)
		},
	},
	"leave": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.leave(args[0].(string)) },
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			n := g.childName(args)
			if activeChild(st, n) {
				return gasWrite*8 + gasSeatKeys + gasWrite*(messageSlots+2+configSetSlots(validatorCount(st, n))+releaseSlots+1)
			}
			return gasWrite*8 + gasSeatKeys + gasPayout + gasEvent
		},
	},
	"kill": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.kill(args[0].(string)) },
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			n := g.childName(args)
			gas := (gasWrite*4+gasPayout)*validatorCount(st, n) + gasWrite*(3+aggKeySlots) + gasEvent
			if n != "" && exists(st, n) {
				due, slots := releasesDue(st, n, 0, true)
				gas += (gasPayout+gasEvent)*due + gasWrite*slots
			}
			return gas
		},
	},
	"fund": {
		run: func(x *call, args []any) ([]any, error) {
			return x.fund(args[0].(string), args[1].(common.Address))
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasWrite*(messageSlots+3) + gasEvent },
	},
	"release": {
		run: func(x *call, args []any) ([]any, error) { return x.release(args[0].(common.Address)) },
		gas: outgoingGas("release"),
	},
	"send": {
		run: func(x *call, args []any) ([]any, error) {
			return x.send(args[0].(string), args[1].(common.Address), args[2].([]byte))
		},
		gas: outgoingGas("send"),
	},
	"submitCheckpoint": {
		run: func(x *call, args []any) ([]any, error) {
			return nil, x.submitCheckpoint(args[0].([]byte), args[1].([]byte), args[2].([]byte))
		},
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			return checkpointGas(st, g.subnet, args[0].([]byte), args[2].([]byte))
		},
	},
	"submitPowCheckpoint": {
		run: func(x *call, args []any) ([]any, error) {
			return nil, x.submitPowCheckpoint(args[0].([]byte), args[1].([]byte), args[2].([]byte))
		},
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			return powCheckpointGas(g, st, args[0].([]byte), args[1].([]byte), args[2].([]byte))
		},
	},
	"atomicSubmit": {
		run: func(x *call, args []any) ([]any, error) {
			var legs []AtomicLeg
			convert(args[0], &legs)
			return x.atomicSubmit(legs, args[1].(uint64))
		},
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			var legs []AtomicLeg
			convert(args[0], &legs)
			if len(legs) > MaxAtomicLegs {
				return 0
			}
			return atomicSubmitGas(st, g.subnet, legs)
		},
	},
	"atomicDecide": {
		run: func(x *call, args []any) ([]any, error) { return x.atomicDecide(args[0].([32]byte)) },
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			return atomicDecideGas(st, g.subnet, args[0].([32]byte))
		},
	},
	"atomicPlan": {
		run: func(x *call, args []any) ([]any, error) { return x.atomicPlanView(args[0].([32]byte)), nil },
		gas: func(_ *Gateway, st StateReader, _ Call, args []any) uint64 {
			return gasRead * (5 + 2*MaxAtomicLegs + blobSlots(len(readBlob(st, atomicLegsSlot(args[0].([32]byte))))))
		},
	},
	"atomicLeg": {
		run: func(x *call, args []any) ([]any, error) {
			return x.atomicLegView(args[0].(string), args[1].([32]byte), args[2].(uint64)), nil
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * legRecordSlots },
	},
	"setStallWindow": {
		run: func(x *call, args []any) ([]any, error) {
			return nil, x.setStallWindow(args[0].(string), args[1].(uint64))
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead*2 + gasWrite },
	},
	"stallWindow": {
		run: func(x *call, args []any) ([]any, error) {
			name, err := x.resolve(args[0].(string))
			if err != nil {
				return nil, err
			}
			return []any{stallWindowOf(x.st, name)}, nil
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * 2 },
	},
	"claimRoot": {
		run: func(x *call, args []any) ([]any, error) { return x.claimRoot(args[0].(string)) },
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * 8 },
	},
	"claimed": {
		run: func(x *call, args []any) ([]any, error) {
			return x.claimedBy(args[0].(string), args[1].(common.Address))
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * 2 },
	},
	"claim": {
		run: func(x *call, args []any) ([]any, error) {
			return x.claim(args[0].(string), args[1].(common.Address), args[2].([]byte))
		},
		gas: func(_ *Gateway, _ StateReader, _ Call, args []any) uint64 { return claimGas(args[2].([]byte)) },
	},
	"registerClaimToken": {
		run: func(x *call, args []any) ([]any, error) {
			return nil, x.registerClaimToken(args[0].(string), args[1].(common.Address), args[2].(*big.Int), args[3].(*big.Int))
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead*6 + gasWrite*3 + gasEvent },
	},
	"claimTokenOf": {
		run: func(x *call, args []any) ([]any, error) {
			return x.claimTokenOf(args[0].(string), args[1].(common.Address))
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * 5 },
	},
	"tokenClaimed": {
		run: func(x *call, args []any) ([]any, error) {
			return x.tokenClaimedBy(args[0].(string), args[1].(common.Address), args[2].(common.Address))
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * 2 },
	},
	"claimToken": {
		run: func(x *call, args []any) ([]any, error) {
			return x.claimToken(args[0].(string), args[1].(common.Address), args[2].(common.Address), args[3].([]byte))
		},
		gas: func(_ *Gateway, _ StateReader, _ Call, args []any) uint64 { return claimTokenGas(args[3].([]byte)) },
	},
	"reclaim": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.reclaim(args[0].(string), args[1].(uint64)) },
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 { return reclaimGas(g, st, args) },
	},
	"proveFraud": {
		run: func(x *call, args []any) ([]any, error) {
			return nil, x.proveFraud(args[0].(string), args[1].([]byte), args[2].([]byte), args[3].([]byte), args[4].([]byte))
		},
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			return fraudGas(st, g.subnet, args[0].(string), args[1].([]byte), args[2].([]byte), args[3].([]byte), args[4].([]byte))
		},
	},
	"setPrivacy": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.setPrivacy(args[0].(string), args[1].(uint8)) },
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead*3 + gasWrite },
	},
	"privacyOf": {
		run: func(x *call, args []any) ([]any, error) {
			name, err := x.resolve(args[0].(string))
			if err != nil {
				return nil, err
			}
			return []any{uint8(ReadPrivacy(x.st, name))}, nil
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * 2 },
	},
	"setJury": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.setJury(args[0].(string), args[1].(uint32)) },
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead*4 + gasWrite },
	},
	"juryFor": {
		run: func(x *call, args []any) ([]any, error) {
			name, err := x.resolve(args[0].(string))
			if err != nil {
				return nil, err
			}
			return []any{uint32(juryFor(x.st, name))}, nil
		},
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * 3 },
	},
	"joinJury": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.joinJury(args[0].([]byte), args[1].([]byte)) },
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasJoinJury },
	},
	"leaveJury": {
		run: func(x *call, _ []any) ([]any, error) { return nil, x.leaveJury() },
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasLeaveJury },
	},
	"withdrawJuryBond": {
		run: func(x *call, _ []any) ([]any, error) { return x.withdrawJuryBond() },
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasWithdrawJury },
	},
	"jurors": {
		run: func(x *call, _ []any) ([]any, error) { return x.jurorsView(), nil },
		gas: func(_ *Gateway, st StateReader, _ Call, _ []any) uint64 {
			return gasRead * (1 + uint64(jurorFields)*min(poolCount(st), MaxJurors))
		},
	},
	"attest": {
		run: func(x *call, args []any) ([]any, error) {
			return nil, x.attest(args[0].(string), args[1].(uint64), args[2].([32]byte), args[3].(bool), args[4].([]byte))
		},
		gas: func(g *Gateway, st StateReader, c Call, args []any) uint64 { return attestGas(g, st, c.Caller, args) },
	},
	"releaseCheckpoints": {
		run: func(x *call, args []any) ([]any, error) { return x.releaseCheckpoints(args[0].(string)) },
		gas: releaseCheckpointsGas,
	},
	"heldCheckpoint": {
		run: func(x *call, args []any) ([]any, error) { return x.heldView(args[0].(string)) },
		gas: func(*Gateway, StateReader, Call, []any) uint64 { return gasRead * 12 },
	},
	"jury": {
		run: func(x *call, args []any) ([]any, error) { return x.juryView(args[0].(string), args[1].(uint64)) },
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			gas := gasRead * (16 + 2*MaxJurySeats + 2*MaxJuryVotes)
			if h, ok := heldAt(st, g.childName(args), args[1].(uint64)); ok && g.childName(args) != "" {
				_, draw := priceRound(st, h, nowOf(st))
				gas += draw
			}
			return gas
		},
	},
	"submitEvidence": {
		run: func(x *call, args []any) ([]any, error) {
			return nil, x.submitEvidence(args[0].(string), args[1].([]byte))
		},
		gas: func(g *Gateway, st StateReader, _ Call, args []any) uint64 {
			return evidenceGas(g.evidence, st, g.subnet, args[0].(string), args[1].([]byte))
		},
	},
}

// mutates reports whether m may change state, from its ABI stateMutability:
// a read-only frame (STATICCALL and friends) may call only view and pure
// functions.
func mutates(m *abi.Method) bool { return !m.IsConstant() }

func noExtraGas(*Gateway, StateReader, Call, []any) uint64 { return 0 }

// outgoingGas prices send and release: a queue write, the event, and the
// route of the message they originate (nothing more if they will revert).
func outgoingGas(fn string) func(*Gateway, StateReader, Call, []any) uint64 {
	return func(g *Gateway, st StateReader, c Call, args []any) uint64 {
		gas := uint64(gasWrite + gasEvent)
		if msg, ok := g.outgoing(fn, args, c.value()); ok {
			gas += routeGas(st, g.subnet, msg)
		}
		return gas
	}
}
