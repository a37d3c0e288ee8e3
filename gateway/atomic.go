package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Atomic plans (CROSSNET.md, "Atomic plans"): two-phase commit across
// subnets, coordinated by the gateway of the legs' lowest common ancestor
// (the mediator). The phases travel as ordinary cross-messages between
// gateways: From = the gateway, To = AtomicAddress, Kind Call, Data =
// rlp(atomicOp). A gateway delivering a message to AtomicAddress runs it
// itself instead of calling an account, and only if it came from a gateway
// (From = Address, which no account can be the sender of).
//
//	mediator M                          leg subnet S
//	atomicSubmit ── prepare(value) ──▶  escrow value; participant.prepare(id, data)
//	vote recorded ◀──── vote ────────── yes / no
//	atomicDecide ── commit | abort ──▶  pay out (participant.commit) | abort, escrow back to the submitter on M

// AtomicAddress is the address messages between gateways about atomic plans
// are addressed to. It holds no code and no key; the gateway handles what
// arrives for it.
var AtomicAddress = common.HexToAddress("0xa5e0000000000000000000000000000000000a70")

// Limits of a plan.
const (
	MaxAtomicLegs     = 8         // legs of one plan
	MaxAtomicDeadline = 1_000_000 // blocks of the mediator between submit and deadline
)

// AtomicStatus is a plan's state on its mediator.
type AtomicStatus uint8

const (
	AtomicNone      AtomicStatus = iota // no such plan
	AtomicPreparing                     // waiting for votes
	AtomicCommitted                     // decided: commit
	AtomicAborted                       // decided: abort
)

func (s AtomicStatus) String() string {
	return [...]string{"none", "preparing", "committed", "aborted", "unknown"}[min(int(s), 4)]
}

// AtomicVote is a leg's vote as the mediator recorded it.
type AtomicVote uint8

const (
	VoteNone AtomicVote = iota // not arrived
	VoteYes
	VoteNo
	VoteLate // arrived after the deadline: ignored
)

func (v AtomicVote) String() string {
	return [...]string{"none", "yes", "no", "late", "unknown"}[min(int(v), 4)]
}

// LegState is a leg's state on its own subnet.
type LegState uint8

const (
	LegUnknown      LegState = iota // no prepare arrived
	LegPrepared                     // escrowed, voted, waiting for the decision
	LegCommitted                    // paid out to the target
	LegAborted                      // escrow sent back to the submitter
	LegCommitFailed                 // commit decided, but the participant's commit reverted: escrow sent back
)

func (s LegState) String() string {
	return [...]string{"unknown", "prepared", "committed", "aborted", "commit-failed", "invalid"}[min(int(s), 5)]
}

// AtomicLeg is one leg of a plan, as IGateway.AtomicLeg: Value goes to To
// on Subnet if the plan commits; with Data, To is a participant contract
// (docs/IAtomicParticipant.sol) asked prepare(id, Data) first.
type AtomicLeg struct {
	Subnet string
	To     common.Address
	Value  *big.Int
	Data   []byte
}

// Operations of the messages between gateways.
const (
	opPrepare uint8 = 1 + iota
	opVote
	opCommit
	opAbort
)

// atomicOp is the Data of a message to AtomicAddress.
type atomicOp struct {
	Op    uint8
	Plan  common.Hash
	Leg   uint64
	Yes   bool           // vote
	Payer common.Address // prepare: the submitter, paid back on abort
	To    common.Address // prepare: the leg's target
	Data  []byte         // prepare: the participant's data; empty for a plain value leg
}

// legRecord is a leg's escrow on its subnet, at atomicLegSlot(coordinator, plan, leg).
type legRecord struct {
	State    uint8
	Yes      bool
	Payer    common.Address
	To       common.Address
	Value    *big.Int
	Contract bool
}

// Participant calls (docs/IAtomicParticipant.sol).
var (
	selPrepare = crypto.Keccak256([]byte("prepare(bytes32,bytes)"))[:4]
	selCommit  = crypto.Keccak256([]byte("commit(bytes32)"))[:4]
	selAbort   = crypto.Keccak256([]byte("abort(bytes32)"))[:4]
	bytes32T   = mustType("bytes32")
	bytesT     = mustType("bytes")
)

func mustType(t string) abi.Type {
	ty, err := abi.NewType(t, "", nil)
	if err != nil {
		panic(err)
	}
	return ty
}

// AtomicID is the ID of the n-th plan submitted on the chain mediator.
func AtomicID(mediator string, n uint64) common.Hash {
	return crypto.Keccak256Hash([]byte("aspen/atomic/id"), []byte(mediator), u64Word(n).Bytes())
}

// planField is a word of a plan record, at keccak("aspen/gw/atomic" ‖ id) + field.
type planField uint64

const (
	pStatus    planField = iota // AtomicStatus
	pSubmitter                  // address
	pDeadline                   // uint64: last height at which a vote counts
	pLegs                       // uint64: number of legs
	pDecidedAt                  // uint64: height of the decision
)

func planSlot(id common.Hash, f planField) common.Hash {
	return plus(slotOf(tagAtomic, id[:]), uint64(f))
}

func readPlanLegs(st StateReader, id common.Hash) []AtomicLeg {
	var legs []AtomicLeg
	if err := rlp.DecodeBytes(readBlob(st, atomicLegsSlot(id)), &legs); err != nil {
		return nil
	}
	return legs
}

func readVote(st StateReader, id common.Hash, leg uint64) AtomicVote {
	return AtomicVote(wordU64(st.GetState(atomicVoteSlot(id, leg))))
}

// AtomicPlan is a plan as its mediator records it.
type AtomicPlan struct {
	ID        common.Hash
	Status    AtomicStatus
	Submitter common.Address
	Deadline  uint64
	DecidedAt uint64
	Legs      []AtomicLeg
	Votes     []AtomicVote
}

// ReadAtomicPlan is plan id on this chain (its mediator); Status is
// AtomicNone if there is none.
func ReadAtomicPlan(st StateReader, id common.Hash) *AtomicPlan {
	p := &AtomicPlan{ID: id, Status: AtomicStatus(wordU64(st.GetState(planSlot(id, pStatus))))}
	if p.Status == AtomicNone {
		return p
	}
	p.Submitter = common.BytesToAddress(st.GetState(planSlot(id, pSubmitter)).Bytes())
	p.Deadline = wordU64(st.GetState(planSlot(id, pDeadline)))
	p.DecidedAt = wordU64(st.GetState(planSlot(id, pDecidedAt)))
	p.Legs = readPlanLegs(st, id)
	for i := range p.Legs {
		p.Votes = append(p.Votes, readVote(st, id, uint64(i)))
	}
	return p
}

// AtomicLegInfo is a leg's escrow on its subnet.
type AtomicLegInfo struct {
	State LegState
	Yes   bool
	Payer common.Address
	To    common.Address
	Value *big.Int
}

// ReadAtomicLeg is leg `leg` of plan id mediated by coordinator, on this
// chain (the leg's subnet).
func ReadAtomicLeg(st StateReader, coordinator string, id common.Hash, leg uint64) AtomicLegInfo {
	r, ok := readLeg(st, coordinator, id, leg)
	if !ok {
		return AtomicLegInfo{Value: new(big.Int)}
	}
	return AtomicLegInfo{LegState(r.State), r.Yes, r.Payer, r.To, nonNil(r.Value)}
}

func readLeg(st StateReader, coordinator string, id common.Hash, leg uint64) (legRecord, bool) {
	b := readBlob(st, atomicLegSlot(coordinator, id, leg))
	var r legRecord
	if len(b) == 0 || rlp.DecodeBytes(b, &r) != nil {
		return legRecord{}, false
	}
	return r, true
}

func writeLeg(st State, coordinator string, id common.Hash, leg uint64, r legRecord) {
	r.Value = nonNil(r.Value)
	writeBlob(st, atomicLegSlot(coordinator, id, leg), mustRLP(&r))
}

// checkPlan checks legs and deadline of a plan submitted on self with value
// and returns the sum of the legs' values.
func checkPlan(st StateReader, self types.SubnetID, legs []AtomicLeg, deadline uint64, value *big.Int) error {
	switch {
	case len(legs) == 0:
		return reverted("gateway: atomicSubmit: a plan needs at least one leg")
	case len(legs) > MaxAtomicLegs:
		return reverted("gateway: atomicSubmit: %d legs, at most %d", len(legs), MaxAtomicLegs)
	case deadline == 0 || deadline > MaxAtomicDeadline:
		return reverted("gateway: atomicSubmit: deadline of %d blocks; give 1 to %d blocks of %s", deadline, MaxAtomicDeadline, self)
	}
	var lca types.SubnetID
	sum := new(big.Int)
	for i, l := range legs {
		d, err := types.ParseSubnetID(l.Subnet)
		if err != nil {
			return reverted("gateway: atomicSubmit: leg %d: %v", i, err)
		}
		if d.Network() != self.Network() {
			return reverted("gateway: atomicSubmit: leg %d: %s is in network /%s, this chain in /%s", i, d, d.Network(), self.Network())
		}
		if i == 0 {
			lca = d
		} else {
			lca, _ = lca.CommonAncestor(d)
		}
		v := nonNil(l.Value)
		switch {
		case l.To == (common.Address{}) || l.To == Address || l.To == AtomicAddress:
			return reverted("gateway: atomicSubmit: leg %d: %s cannot be a leg's target; give a wallet or a participant contract", i, l.To)
		case v.Sign() == 0 && len(l.Data) == 0:
			return reverted("gateway: atomicSubmit: leg %d carries neither value nor participant data", i)
		case len(l.Data) > MaxCrossMsgData/2:
			return reverted("gateway: atomicSubmit: leg %d: participant data of %d bytes is over the limit of %d", i, len(l.Data), MaxCrossMsgData/2)
		}
		for j := range i {
			if legs[j].Subnet == l.Subnet && legs[j].To == l.To && bytes.Equal(legs[j].Data, l.Data) && nonNil(legs[j].Value).Cmp(v) == 0 {
				return reverted("gateway: atomicSubmit: legs %d and %d are the same; merge them", j, i)
			}
		}
		if d.IsBelow(self) {
			m := CrossMsg{DstSubnet: string(d), Kind: KindCall}
			if _, err := downTarget(st, self, &m); err != nil {
				return reverted("gateway: atomicSubmit: leg %d: %v", i, err)
			}
		}
		sum.Add(sum, v)
	}
	if lca != self {
		return reverted("gateway: atomicSubmit: the legs' lowest common ancestor is %s; submit the plan there, not on %s", lca, self)
	}
	if sum.Cmp(value) != 0 {
		return reverted("gateway: atomicSubmit: the legs carry %s wei in all; send exactly that (sent %s)", sum, value)
	}
	return nil
}

// atomicSubmit is IGateway.atomicSubmit: it records the plan, escrows
// msg.value, and sends each leg's prepare (with its value) to its subnet.
func (x *call) atomicSubmit(legs []AtomicLeg, deadline uint64) ([]any, error) {
	if delivering(x.st) {
		return nil, reverted("gateway: atomicSubmit cannot run inside a delivered call")
	}
	if err := checkPlan(x.st, x.g.subnet, legs, deadline, x.c.value()); err != nil {
		return nil, err
	}
	n := wordU64(x.st.GetState(atomicCountSlot())) + 1
	x.st.SetState(atomicCountSlot(), u64Word(n))
	id := AtomicID(string(x.g.subnet), n)
	for i := range legs {
		legs[i].Value = nonNil(legs[i].Value)
	}
	dl := x.st.BlockNumber() + deadline
	x.st.SetState(planSlot(id, pStatus), u64Word(uint64(AtomicPreparing)))
	x.st.SetState(planSlot(id, pSubmitter), addrTopic(x.c.Caller))
	x.st.SetState(planSlot(id, pDeadline), u64Word(dl))
	x.st.SetState(planSlot(id, pLegs), u64Word(uint64(len(legs))))
	writeBlob(x.st, atomicLegsSlot(id), mustRLP(legs))
	x.emit("AtomicSubmitted", []common.Hash{id, addrTopic(x.c.Caller)}, dl, uint64(len(legs)))
	for i, l := range legs {
		op := atomicOp{Op: opPrepare, Plan: id, Leg: uint64(i), Payer: x.c.Caller, To: l.To, Data: l.Data}
		if err := x.atomicSend(l.Subnet, l.Value, op); err != nil {
			return nil, err
		}
	}
	return []any{id}, nil
}

// atomicDecide is IGateway.atomicDecide: commit if every leg voted yes
// before the deadline; abort once one voted no or the deadline passed;
// otherwise revert, naming the legs still to vote.
func (x *call) atomicDecide(id common.Hash) ([]any, error) {
	if delivering(x.st) {
		return nil, reverted("gateway: atomicDecide cannot run inside a delivered call")
	}
	p := ReadAtomicPlan(x.st, id)
	switch p.Status {
	case AtomicNone:
		return nil, reverted("gateway: atomicDecide: no plan %s was submitted on %s", id, x.g.subnet)
	case AtomicCommitted, AtomicAborted:
		return nil, reverted("gateway: atomicDecide: plan %s is %s already (at height %d)", id, p.Status, p.DecidedAt)
	}
	commit, abort := true, false
	var waiting []string
	for i, v := range p.Votes {
		switch v {
		case VoteNo:
			abort = true
		case VoteNone, VoteLate:
			commit = false
			waiting = append(waiting, fmt.Sprint(i))
		}
	}
	if x.st.BlockNumber() > p.Deadline {
		abort = true
	}
	if !commit && !abort {
		return nil, reverted("gateway: atomicDecide: plan %s waits for the votes of legs %s until height %d (now %d)",
			id, strings.Join(waiting, ", "), p.Deadline, x.st.BlockNumber())
	}
	commit = commit && !abort
	status, op := AtomicCommitted, opCommit
	if !commit {
		status, op = AtomicAborted, opAbort
	}
	x.st.SetState(planSlot(id, pStatus), u64Word(uint64(status)))
	x.st.SetState(planSlot(id, pDecidedAt), u64Word(x.st.BlockNumber()))
	x.emit("AtomicDecided", []common.Hash{id}, commit)
	for i, l := range p.Legs {
		if err := x.atomicSend(l.Subnet, new(big.Int), atomicOp{Op: op, Plan: id, Leg: uint64(i)}); err != nil {
			return nil, err
		}
	}
	return []any{commit}, nil
}

// atomicSend originates a message of this gateway to the gateway of dst
// (this chain included) and routes it.
func (x *call) atomicSend(dst string, value *big.Int, op atomicOp) error {
	m := CrossMsg{
		SrcSubnet: string(x.g.subnet), From: Address, DstSubnet: dst, To: AtomicAddress,
		Value: new(big.Int).Set(value), Data: mustRLP(&op), Kind: KindCall,
	}
	x.stamp(&m)
	x.emitSent(m)
	return x.route(m)
}

// deliverAtomic runs m, addressed to AtomicAddress, on this chain. Only a
// gateway's call is taken; anything else bounces like a message to the
// gateway.
func (x *call) deliverAtomic(m CrossMsg) error {
	var op atomicOp
	if m.From != Address || m.Kind != KindCall || rlp.DecodeBytes(m.Data, &op) != nil {
		return x.bounce(m, "atomic plans: only gateways send to "+AtomicAddress.Hex())
	}
	switch op.Op {
	case opPrepare:
		return x.atomicPrepare(m, op)
	case opVote:
		return x.atomicVote(m, op)
	case opCommit, opAbort:
		return x.atomicFinish(m, op)
	}
	return x.bounce(m, fmt.Sprintf("atomic plans: unknown operation %d", op.Op))
}

// atomicPrepare escrows the leg's value (the gateway holds it already) and
// asks the participant, if any; then sends the vote to the mediator. A
// prepare for a leg already known changes nothing (its value stays with the
// gateway: only a forged repeat can bring one).
func (x *call) atomicPrepare(m CrossMsg, op atomicOp) error {
	if _, ok := readLeg(x.st, m.SrcSubnet, op.Plan, op.Leg); ok {
		x.emitApplied(m.ID, false, []byte("atomic plans: this leg was prepared already"))
		return nil
	}
	r := legRecord{State: uint8(LegPrepared), Yes: true, Payer: op.Payer, To: op.To, Value: m.Value, Contract: len(op.Data) > 0}
	var result []byte
	if r.Contract {
		input, _ := abi.Arguments{{Type: bytes32T}, {Type: bytesT}}.Pack(op.Plan, op.Data)
		ret, err := x.participant(m.SrcSubnet, op.Payer, op.To, append(append([]byte{}, selPrepare...), input...), new(big.Int))
		if err != nil {
			return err
		}
		result = ret.data
		r.Yes = ret.ok && len(ret.data) == 32 && new(big.Int).SetBytes(ret.data).Cmp(big.NewInt(1)) == 0
	}
	writeLeg(x.st, m.SrcSubnet, op.Plan, op.Leg, r)
	x.emit("AtomicPrepared", []common.Hash{op.Plan}, op.Leg, r.Yes, cut(result))
	x.emitApplied(m.ID, true, nil)
	return x.atomicSend(m.SrcSubnet, new(big.Int), atomicOp{Op: opVote, Plan: op.Plan, Leg: op.Leg, Yes: r.Yes})
}

// atomicVote records a leg's vote on the mediator: only from the leg's own
// subnet, only the first, and only until the deadline.
func (x *call) atomicVote(m CrossMsg, op atomicOp) error {
	status := AtomicStatus(wordU64(x.st.GetState(planSlot(op.Plan, pStatus))))
	legs := readPlanLegs(x.st, op.Plan)
	var reason string
	switch {
	case status == AtomicNone:
		reason = "atomic plans: no such plan"
	case op.Leg >= uint64(len(legs)):
		reason = "atomic plans: no such leg"
	case legs[op.Leg].Subnet != m.SrcSubnet:
		reason = "atomic plans: a vote for a leg of another subnet"
	case readVote(x.st, op.Plan, op.Leg) != VoteNone:
		reason = "atomic plans: this leg voted already"
	}
	if reason != "" {
		x.emitApplied(m.ID, false, []byte(reason))
		return nil
	}
	v := VoteNo
	switch {
	case status != AtomicPreparing || x.st.BlockNumber() > wordU64(x.st.GetState(planSlot(op.Plan, pDeadline))):
		v = VoteLate
	case op.Yes:
		v = VoteYes
	}
	x.st.SetState(atomicVoteSlot(op.Plan, op.Leg), u64Word(uint64(v)))
	x.emit("AtomicVoted", []common.Hash{op.Plan}, op.Leg, uint8(v))
	x.emitApplied(m.ID, true, nil)
	return nil
}

// atomicFinish applies the mediator's decision to a prepared leg, once:
// commit pays the escrow to the target (a participant's commit(id) gets it
// as msg.value); abort tells a participant that voted yes (abort(id)) and
// sends the escrow back to the submitter on the mediator. A participant
// whose commit reverts is reported (LegCommitFailed) and the escrow goes
// back as on abort.
func (x *call) atomicFinish(m CrossMsg, op atomicOp) error {
	r, ok := readLeg(x.st, m.SrcSubnet, op.Plan, op.Leg)
	if !ok || LegState(r.State) != LegPrepared {
		x.emitApplied(m.ID, false, []byte("atomic plans: no prepared leg for this decision"))
		return nil
	}
	r.Value = nonNil(r.Value)
	state := LegCommitted
	if op.Op == opAbort {
		state = LegAborted
	}
	// Marked finished before any participant runs: a participant calling
	// back into the gateway finds nothing left to take.
	r.State = uint8(state)
	writeLeg(x.st, m.SrcSubnet, op.Plan, op.Leg, r)
	var result []byte
	refund := op.Op == opAbort
	switch {
	case op.Op == opCommit && r.Contract:
		ret, err := x.participant(m.SrcSubnet, r.Payer, r.To, append(append([]byte{}, selCommit...), op.Plan[:]...), r.Value)
		if err != nil {
			return err
		}
		result = ret.data
		if !ret.ok {
			state, refund = LegCommitFailed, true
			r.State = uint8(state)
			writeLeg(x.st, m.SrcSubnet, op.Plan, op.Leg, r)
		}
	case op.Op == opCommit:
		if err := x.st.Transfer(Address, r.To, r.Value); err != nil {
			return fmt.Errorf("gateway: paying leg %d of plan %s: %w", op.Leg, op.Plan, err)
		}
	case r.Contract && r.Yes:
		ret, err := x.participant(m.SrcSubnet, r.Payer, r.To, append(append([]byte{}, selAbort...), op.Plan[:]...), new(big.Int))
		if err != nil {
			return err
		}
		result = ret.data
	}
	x.emit("AtomicFinished", []common.Hash{op.Plan}, op.Leg, uint8(state), cut(result))
	x.emitApplied(m.ID, true, nil)
	if refund && r.Value.Sign() > 0 {
		back := CrossMsg{
			SrcSubnet: string(x.g.subnet), From: Address, DstSubnet: m.SrcSubnet, To: r.Payer,
			Value: new(big.Int).Set(r.Value), Kind: KindTransfer,
		}
		x.stamp(&back)
		x.emitSent(back)
		return x.route(back)
	}
	return nil
}

type callResult struct {
	ok   bool
	data []byte
}

// participant calls a participant contract under CrossMsgCallGas, with
// crossMsgOrigin answering (mediator, submitter) while it runs, so the
// contract can check who coordinates the plan. Its failure is a vote or a
// report, not an error; err is only a broken invariant or a call too deep.
func (x *call) participant(mediator string, submitter, to common.Address, input []byte, value *big.Int) (callResult, error) {
	cc, ok := x.st.(ContractCaller)
	if !ok {
		return callResult{false, []byte("this chain cannot run participant calls")}, nil
	}
	if x.st.Balance(Address).Cmp(value) < 0 {
		return callResult{}, fmt.Errorf("gateway: the gateway holds %s wei, less than a leg's escrow %s", x.st.Balance(Address), value)
	}
	writeBlob(x.st, originSlot(), mustRLP(origin{mediator, submitter}))
	ret, _, err := cc.CallContract(to, input, value, CrossMsgCallGas)
	clearBlob(x.st, originSlot())
	if errors.Is(err, ErrCallTooDeep) {
		return callResult{}, reverted("gateway: the gateway runs too deep in the call stack to call participant %s", to)
	}
	return callResult{err == nil, ret}, nil
}

func cut(b []byte) []byte {
	if len(b) > maxResultBytes {
		b = b[:maxResultBytes]
	}
	return append([]byte{}, b...)
}

// Prices (gas.go's schedule).

// legRecordSlots bounds the slots of a legRecord.
const legRecordSlots = 6

// atomicDeliverGas prices deliverAtomic(m) on self. The heaviest path of
// each operation: prepare runs a participant, stores the escrow and routes
// the vote; commit or abort runs a participant and routes the escrow back.
func atomicDeliverGas(st StateReader, self types.SubnetID, m CrossMsg) uint64 {
	var op atomicOp
	if m.From != Address || m.Kind != KindCall || rlp.DecodeBytes(m.Data, &op) != nil || op.Op < opPrepare || op.Op > opAbort {
		return bounceGas(st, self, m)
	}
	event := uint64(gasEvent + gasLogByte*maxResultBytes)
	if op.Op == opVote {
		return gasRead*4 + gasWrite + 2*event
	}
	gas := gasRead*legRecordSlots + gasWrite*legRecordSlots + 2*event
	contract := len(op.Data) > 0
	if op.Op != opPrepare {
		r, ok := readLeg(st, m.SrcSubnet, op.Plan, op.Leg)
		contract = ok && r.Contract
	}
	if contract {
		originSlots := blobSlots(len(mustRLP(origin{m.SrcSubnet, op.Payer})) + 32)
		gas += gasWrite*2*originSlots + CrossMsgCallGas
	}
	if op.Op == opPrepare {
		vote := CrossMsg{SrcSubnet: string(self), From: Address, DstSubnet: m.SrcSubnet, To: AtomicAddress,
			Value: new(big.Int), Data: mustRLP(&atomicOp{Op: opVote, Plan: op.Plan, Leg: op.Leg}), Kind: KindCall}
		if types.SubnetID(m.SrcSubnet) == self {
			return gas + gasWrite + event + gasRead*4 + gasWrite + 2*event
		}
		return gas + gasWrite + event + routeWork(st, self, vote, false)
	}
	back := CrossMsg{SrcSubnet: string(self), From: Address, DstSubnet: m.SrcSubnet, To: common.Address{1},
		Value: big.NewInt(1), Kind: KindTransfer}
	return gas + gasPayout + gasWrite + event + routeWork(st, self, back, false)
}

// atomicSubmitGas prices atomicSubmit: the plan's records and, for each
// leg, routing its prepare here (a leg of this chain: its delivery; a leg
// below: its queue entry and its execution there, as for any call queued
// for a child).
func atomicSubmitGas(st StateReader, self types.SubnetID, legs []AtomicLeg) uint64 {
	planBytes := len(mustRLP(legs))
	gas := gasRead + gasWrite*(6+blobSlots(planBytes)) + gasEvent
	for i, l := range legs {
		op := atomicOp{Op: opPrepare, Leg: uint64(i), Payer: common.Address{1}, To: l.To, Data: l.Data}
		m := CrossMsg{SrcSubnet: string(self), From: Address, DstSubnet: l.Subnet, To: AtomicAddress,
			Value: nonNil(l.Value), Data: mustRLP(&op), Kind: KindCall}
		gas += gasWrite + gasEvent + routeGas(st, self, m)
		if types.SubnetID(l.Subnet) != self {
			// What the leg's subnet runs beyond a call's execution, which
			// routeGas paid already.
			gas += atomicDeliverGas(st, types.SubnetID(l.Subnet), m) - min(CrossMsgCallGas, atomicDeliverGas(st, types.SubnetID(l.Subnet), m))
		}
	}
	return gas
}

// atomicDecideGas prices atomicDecide(id): reading the plan and votes, and
// routing one decision to each leg.
func atomicDecideGas(st StateReader, self types.SubnetID, id common.Hash) uint64 {
	legs := readPlanLegs(st, id)
	gas := gasRead*(5+blobSlots(len(mustRLP(legs)))+uint64(len(legs))) + gasWrite*2 + gasEvent
	for i, l := range legs {
		m := CrossMsg{SrcSubnet: string(self), From: Address, DstSubnet: l.Subnet, To: AtomicAddress,
			Value: new(big.Int), Data: mustRLP(&atomicOp{Op: opAbort, Plan: id, Leg: uint64(i)}), Kind: KindCall}
		gas += gasWrite + gasEvent + routeGas(st, self, m)
	}
	return gas
}

// refundTo is who gets the value of the failed message m back on its
// source: its sender, except for an atomic leg's prepare, sent by the
// mediator's gateway, whose escrow belongs to the plan's submitter (a leg
// whose subnet is gone, or frozen and reclaimed, returns it so).
func refundTo(m CrossMsg) common.Address {
	var op atomicOp
	if m.To == AtomicAddress && m.From == Address && rlp.DecodeBytes(m.Data, &op) == nil && op.Op == opPrepare && op.Payer != (common.Address{}) {
		return op.Payer
	}
	return m.From
}

// Views.

// atomicPlanView is IGateway.atomicPlan.
func (x *call) atomicPlanView(id common.Hash) []any {
	p := ReadAtomicPlan(x.st, id)
	subnets, targets, values, votes := []string{}, []common.Address{}, []*big.Int{}, []uint8{}
	for i, l := range p.Legs {
		subnets, targets, values = append(subnets, l.Subnet), append(targets, l.To), append(values, nonNil(l.Value))
		votes = append(votes, uint8(p.Votes[i]))
	}
	return []any{uint8(p.Status), p.Submitter, p.Deadline, p.DecidedAt, subnets, targets, values, votes}
}

// atomicLegView is IGateway.atomicLeg.
func (x *call) atomicLegView(mediator string, id common.Hash, leg uint64) []any {
	l := ReadAtomicLeg(x.st, mediator, id, leg)
	return []any{uint8(l.State), l.Yes, l.To, l.Value}
}
