package node

import (
	"crypto/ecdsa"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/private"
	"github.com/aspen-chain/aspen/private/registry"
)

// A participant of a private subnet (docs/PRIVACY.md): it holds an X25519
// key (<home>/private/key), scans the registry's log in block order, opens
// the envelopes addressed to it, executes each on its private state for the
// envelope's group (evm.PrivateStates under <home>/private/<group>), and
// answers the mediator with a signed confirmation; the verdict makes the
// execution durable or drops it. Executions of one group run one at a time:
// the next waits for the verdict of the one before, so every recipient runs
// it on the same state.

// privateKeyFile is the participant's X25519 key under <home>/private.
const privateKeyFile = "key"

// LoadOrCreatePrivateKey reads <home>/private/key, creating it (mode 0600)
// when absent: what `aspen private keygen --home DIR` runs.
func LoadOrCreatePrivateKey(home string) (*private.PrivateKey, error) {
	path := filepath.Join(home, "private", privateKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		raw, err := hex.DecodeString(string(b))
		if err != nil {
			return nil, fmt.Errorf("node: %s: not hex: %w", path, err)
		}
		return private.PrivateKeyFromBytes(raw)
	}
	k, err := private.GenerateKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(k.Bytes())), 0o600); err != nil {
		return nil, fmt.Errorf("node: write %s: %w", path, err)
	}
	return k, nil
}

// GroupID names a recipient set: keccak of its sorted key IDs, in hex; the
// directory of its private state.
func GroupID(recipients []private.KeyID) string {
	var b []byte
	for _, k := range recipients {
		b = append(b, k[:]...)
	}
	return hex.EncodeToString(crypto.Keccak256(b)[:16])
}

// Participant is one participant's private side.
type Participant struct {
	ctx    private.Context
	key    *private.PrivateKey
	acct   *ecdsa.PrivateKey
	states *evm.PrivateStates
	abi    abi.ABI

	waiting map[string][]opened    // group → envelopes waiting for the one before
	running map[common.Hash]string // envelope → its group, executed, verdict awaited
	groups  map[string]bool        // groups this participant is in
}

type opened struct {
	id      common.Hash
	group   string
	height  uint64
	payload []byte
	err     error // Open's refusal: answered with a reject
}

// NewParticipant is the participant with X25519 key key and account acct
// on the private subnet ctx, its private states under home/private.
func NewParticipant(ctx private.Context, home string, key *private.PrivateKey, acct *ecdsa.PrivateKey) (*Participant, error) {
	st, err := evm.OpenPrivateStates(filepath.Join(home, "private"), ctx.ChainID)
	if err != nil {
		return nil, err
	}
	parsed, err := registry.ParseABI()
	if err != nil {
		return nil, err
	}
	return &Participant{ctx: ctx, key: key, acct: acct, states: st, abi: parsed,
		waiting: map[string][]opened{}, running: map[common.Hash]string{}, groups: map[string]bool{}}, nil
}

// Close closes the private stores.
func (p *Participant) Close() error { return p.states.Close() }

// States are the participant's private states, for reads.
func (p *Participant) States() *evm.PrivateStates { return p.states }

// Seal makes the envelope of a private transaction: rawTx to the given
// registered keys (this participant's is added), with the sender's next
// nonce. Submitting it is registry.submitEnvelope.
func (p *Participant) Seal(rawTx []byte, to []private.PublicKey, nonce uint64) ([]byte, error) {
	keys := slices.Clone(to)
	if !slices.ContainsFunc(keys, func(k private.PublicKey) bool { return k.ID() == p.key.ID() }) {
		keys = append(keys, p.key.Public())
	}
	env, err := private.Seal(rawTx, keys, private.Header{Context: p.ctx, Nonce: nonce}, p.acct)
	if err != nil {
		return nil, err
	}
	return env.Encode()
}

// HandleLogs takes the registry's logs of the block at height, in order,
// and returns the encoded confirmations to send (registry.confirm).
func (p *Participant) HandleLogs(height uint64, logs []*gethtypes.Log) ([][]byte, error) {
	var out [][]byte
	for _, l := range logs {
		if l.Address != registry.Address || len(l.Topics) < 2 {
			continue
		}
		switch l.Topics[0] {
		case p.abi.Events["EnvelopeSubmitted"].ID:
			vals, err := p.abi.Events["EnvelopeSubmitted"].Inputs.NonIndexed().Unpack(l.Data)
			if err != nil {
				return out, fmt.Errorf("node: EnvelopeSubmitted log: %w", err)
			}
			o, mine := p.open(vals[2].([]byte), height)
			if !mine {
				continue
			}
			p.groups[o.group] = true
			p.waiting[o.group] = append(p.waiting[o.group], o)
			c, err := p.next(o.group)
			if err != nil {
				return out, err
			}
			out = append(out, c...)
		case p.abi.Events["Verdict"].ID:
			id := l.Topics[1]
			group, ok := p.running[id]
			if !ok {
				continue
			}
			vals, err := p.abi.Events["Verdict"].Inputs.NonIndexed().Unpack(l.Data)
			if err != nil {
				return out, fmt.Errorf("node: Verdict log: %w", err)
			}
			delete(p.running, id)
			if registry.Status(vals[0].(uint8)) == registry.StatusCommitted {
				if err := p.states.Commit(group, id); err != nil {
					return out, err
				}
			} else {
				p.states.Discard(group, id)
			}
			c, err := p.next(group)
			if err != nil {
				return out, err
			}
			out = append(out, c...)
		}
	}
	return out, nil
}

// open decodes and opens an envelope; mine is false when this participant
// is not among its recipients.
func (p *Participant) open(b []byte, height uint64) (opened, bool) {
	env, err := private.DecodeEnvelope(b)
	if err != nil {
		return opened{}, false
	}
	if _, found := slices.BinarySearchFunc(env.Recipients, p.key.ID(), private.KeyID.Compare); !found {
		return opened{}, false
	}
	payload, err := private.Open(env, p.ctx, p.key)
	return opened{id: env.ID(), group: GroupID(env.Recipients), height: height, payload: payload, err: err}, true
}

// next executes the group's waiting envelopes, in order, while none is
// running, and returns their confirmations; a reject holds nothing up.
func (p *Participant) next(group string) ([][]byte, error) {
	var out [][]byte
	for len(p.waiting[group]) > 0 && !slices.Contains(slices.Collect(maps.Values(p.running)), group) {
		o := p.waiting[group][0]
		p.waiting[group] = p.waiting[group][1:]
		c := private.Confirmation{Envelope: o.id, Verdict: private.Reject}
		if o.err == nil {
			if root, err := p.states.Execute(group, o.id, o.height, o.payload); err == nil {
				c.Verdict, c.StateHash = private.Confirm, root
				p.running[o.id] = group
			}
		}
		signed, err := private.SignConfirmation(c, p.acct)
		if err != nil {
			return out, err
		}
		b, err := signed.Encode()
		if err != nil {
			return out, err
		}
		out = append(out, b)
	}
	return out, nil
}

// InGroup reports whether this participant is a member of group.
func (p *Participant) InGroup(group string) bool { return p.groups[group] }
