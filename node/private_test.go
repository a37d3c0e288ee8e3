package node

import (
	"bytes"
	"crypto/ecdsa"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/math"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/private"
	"github.com/aspen-chain/aspen/private/registry"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// privChain is a private subnet's chain in a temp dir: the validator's store.
type privChain struct {
	t      *testing.T
	ex     *evm.Executor
	nonces map[common.Address]uint64
	abi    interface {
		Pack(string, ...any) ([]byte, error)
	}
}

type listSource struct {
	txs  []*gethtypes.Transaction
	from []common.Address
}

func (s *listSource) Peek() (*gethtypes.Transaction, common.Address) {
	if len(s.txs) == 0 {
		return nil, common.Address{}
	}
	return s.txs[0], s.from[0]
}
func (s *listSource) Shift() { s.txs, s.from = s.txs[1:], s.from[1:] }
func (s *listSource) Pop()   { s.Shift() }

var _ execution.TxSource = (*listSource)(nil)

// call is a registry call from key's account.
type regCall struct {
	key    *ecdsa.PrivateKey
	method string
	args   []any
}

// block includes the calls and returns the registry's logs; every call must succeed.
func (c *privChain) block(calls ...regCall) []*gethtypes.Log {
	c.t.Helper()
	src := &listSource{}
	for _, rc := range calls {
		data, err := c.abi.Pack(rc.method, rc.args...)
		if err != nil {
			c.t.Fatal(err)
		}
		from := crypto.PubkeyToAddress(rc.key.PublicKey)
		tx := gethtypes.MustSignNewTx(rc.key, c.ex.Signer(), &gethtypes.DynamicFeeTx{ChainID: big.NewInt(privChainID), Nonce: c.nonces[from],
			GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(100e9), Gas: 5_000_000, To: &registry.Address, Data: data})
		c.nonces[from]++
		src.txs, src.from = append(src.txs, tx), append(src.from, from)
	}
	head := c.ex.Head()
	ex, err := c.ex.Build(head, execution.Attributes{TimeMs: head.TimeMs + 1000, Proposer: testkeys.Address(9)}, src)
	if err != nil {
		c.t.Fatal(err)
	}
	if len(ex.Receipts) != len(calls) {
		c.t.Fatalf("block took %d of %d calls", len(ex.Receipts), len(calls))
	}
	var logs []*gethtypes.Log
	for i, r := range ex.Receipts {
		if r.Status != gethtypes.ReceiptStatusSuccessful {
			c.t.Fatalf("%s reverted", calls[i].method)
		}
		logs = append(logs, r.Logs...)
	}
	if err := c.ex.Commit(ex, &types.Commit{Height: ex.Block.Height(), BlockHash: ex.Block.Hash()}); err != nil {
		c.t.Fatal(err)
	}
	return logs
}

const privChainID = 4242

type member struct {
	name string
	home string
	acct *ecdsa.PrivateKey
	p    *Participant
}

// deploy is a signed private transaction creating a contract whose
// constructor stores marker (32 bytes) in slot 0.
func deploy(t *testing.T, key *ecdsa.PrivateKey, nonce uint64, marker string) []byte {
	t.Helper()
	code := append([]byte{0x7f}, []byte(marker)...) // PUSH32 marker
	code = append(code, 0x60, 0x00, 0x55, 0x00)     // PUSH1 0, SSTORE, STOP
	tx := gethtypes.MustSignNewTx(key, gethtypes.LatestSignerForChainID(big.NewInt(privChainID)),
		&gethtypes.LegacyTx{Nonce: nonce, Gas: 200_000, GasPrice: new(big.Int), Data: code})
	b, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dirHolds reports whether any file under dir contains s (Pebble's WAL
// keeps values as written).
func dirHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = bytes.Contains(b, []byte(s))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestPrivateGroups: three participants, two groups ({a,b}, {b,c}). Each
// group's transaction commits on its members only; the validator's store
// and the non-member's never hold the plaintext; a recipient that reports
// another state makes the mediator reject and nobody's state changes.
func TestPrivateGroups(t *testing.T) {
	dir := t.TempDir()
	gen := &config.Genesis{SubnetID: "/devnet", ChainID: privChainID, GasLimit: 30_000_000, TimestampMs: 1_700_000_000_000,
		Validators: []config.GenesisValidator{{Address: testkeys.Address(9)}}, Alloc: map[common.Address]config.GenesisAccount{},
		Privacy: config.PrivacyPrivate}
	gen.SetDefaults()
	var ms []*member
	for i, name := range []string{"a", "b", "c"} {
		k := testkeys.Account(i)
		gen.Alloc[crypto.PubkeyToAddress(k.PublicKey)] = config.GenesisAccount{Balance: (*math.HexOrDecimal256)(big.NewInt(1e18))}
		ms = append(ms, &member{name: name, home: filepath.Join(dir, name), acct: k})
	}
	st, err := store.Open(filepath.Join(dir, "validator"))
	if err != nil {
		t.Fatal(err)
	}
	ex, err := evm.New(st, gen, evm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := registry.ParseABI()
	c := &privChain{t: t, ex: ex, nonces: map[common.Address]uint64{}, abi: reg}
	ctx := private.Context{ChainID: privChainID, Subnet: "/devnet"}
	var regs []regCall
	for _, m := range ms {
		k, err := LoadOrCreatePrivateKey(m.home)
		if err != nil {
			t.Fatal(err)
		}
		if m.p, err = NewParticipant(ctx, m.home, k, m.acct); err != nil {
			t.Fatal(err)
		}
		regs = append(regs, regCall{m.acct, "registerKey", []any{[32]byte(k.Public().Bytes())}})
	}
	a, b, cc := ms[0], ms[1], ms[2]
	c.block(regs...)

	// run feeds a block's logs to every participant and includes the
	// confirmations they answer with (through tamper, if set), until quiet.
	run := func(logs []*gethtypes.Log, tamper func(from *member, conf []byte) []byte) {
		for len(logs) > 0 {
			height := c.ex.Head().Height
			var calls []regCall
			for _, m := range ms {
				confs, err := m.p.HandleLogs(height, logs)
				if err != nil {
					t.Fatal(err)
				}
				for _, conf := range confs {
					if tamper != nil {
						conf = tamper(m, conf)
					}
					calls = append(calls, regCall{m.acct, "confirm", []any{conf}})
				}
			}
			if len(calls) == 0 {
				return
			}
			logs = c.block(calls...)
		}
	}
	pub := func(ms ...*member) []private.PublicKey {
		var out []private.PublicKey
		for _, m := range ms {
			k, _ := LoadOrCreatePrivateKey(m.home)
			out = append(out, k.Public())
		}
		return out
	}
	const marker1 = "ASPEN-PRIVATE-MARKER-GROUP-ONE!!"
	const marker2 = "ASPEN-PRIVATE-MARKER-GROUP-TWO!!"
	env1, err := a.p.Seal(deploy(t, a.acct, 0, marker1), pub(b), 0)
	if err != nil {
		t.Fatal(err)
	}
	env2, err := b.p.Seal(deploy(t, b.acct, 0, marker2), pub(cc), 0)
	if err != nil {
		t.Fatal(err)
	}
	run(c.block(regCall{a.acct, "submitEnvelope", []any{env1}}, regCall{b.acct, "submitEnvelope", []any{env2}}), nil)

	keyID := func(m *member) private.KeyID { k, _ := LoadOrCreatePrivateKey(m.home); return k.ID() }
	sorted := func(x, y *member) []private.KeyID {
		ids := []private.KeyID{keyID(x), keyID(y)}
		if ids[0].Compare(ids[1]) > 0 {
			ids[0], ids[1] = ids[1], ids[0]
		}
		return ids
	}
	g1, g2 := GroupID(sorted(a, b)), GroupID(sorted(b, cc))
	contract1 := crypto.CreateAddress(crypto.PubkeyToAddress(a.acct.PublicKey), 0)
	for _, m := range []*member{a, b} {
		if v, err := m.p.States().Storage(g1, contract1, common.Hash{}); err != nil || string(v[:]) != marker1 {
			t.Fatalf("%s: group one's contract holds %q (%v), want the marker", m.name, v[:], err)
		}
	}
	if _, err := cc.p.States().Storage(g1, contract1, common.Hash{}); err == nil {
		t.Fatal("c, not in group one, reads its state")
	}
	// c disagrees about group two's next transaction: rejected, nobody changes.
	rootB, _ := b.p.States().Root(g2)
	rootC, _ := cc.p.States().Root(g2)
	env3, err := cc.p.Seal(deploy(t, cc.acct, 0, "ASPEN-PRIVATE-MARKER-REJECTED!!!"), pub(b), 0)
	if err != nil {
		t.Fatal(err)
	}
	var verdicts []registry.Status
	tamper := func(from *member, conf []byte) []byte {
		if from != cc {
			return conf
		}
		dc, err := private.DecodeConfirmation(conf)
		if err != nil {
			t.Fatal(err)
		}
		dc.StateHash[0] ^= 1
		signed, _ := private.SignConfirmation(private.Confirmation{Envelope: dc.Envelope, Verdict: dc.Verdict, StateHash: dc.StateHash}, cc.acct)
		out, _ := signed.Encode()
		verdicts = append(verdicts, registry.ReadRound(stateOf(t, c.ex), dc.Envelope).Status)
		return out
	}
	run(c.block(regCall{cc.acct, "submitEnvelope", []any{env3}}), tamper)
	if len(verdicts) != 1 {
		t.Fatalf("c answered %d times, want once", len(verdicts))
	}
	if rb, _ := b.p.States().Root(g2); rb != rootB {
		t.Fatal("b's group state changed after a rejected transaction")
	}
	if rc, _ := cc.p.States().Root(g2); rc != rootC {
		t.Fatal("c's group state changed after a rejected transaction")
	}
	id3 := envID(t, env3)
	if r := registry.ReadRound(stateOf(t, c.ex), id3); r.Status != registry.StatusRejected {
		t.Fatalf("round of the disputed envelope: %s, want rejected", r.Status)
	}
	// Close every store, then scan the files for the plaintext markers.
	st.Close()
	for _, m := range ms {
		m.p.Close()
	}
	for _, check := range []struct {
		dir    string
		marker string
		holds  bool
	}{
		{filepath.Join(dir, "validator"), marker1, false}, {filepath.Join(dir, "validator"), marker2, false},
		{cc.home, marker1, false}, {a.home, marker2, false},
		{a.home, marker1, true}, {b.home, marker1, true}, {b.home, marker2, true}, {cc.home, marker2, true},
	} {
		if got := dirHolds(t, check.dir, check.marker); got != check.holds {
			t.Errorf("%s holds %s: %v, want %v", check.dir, check.marker, got, check.holds)
		}
	}
}

func envID(t *testing.T, b []byte) common.Hash {
	env, err := private.DecodeEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	return env.ID()
}

// stateOf reads the registry's storage at the head.
func stateOf(t *testing.T, ex *evm.Executor) registry.StateReader {
	t.Helper()
	return headStorage{t, ex}
}

type headStorage struct {
	t  *testing.T
	ex *evm.Executor
}

func (h headStorage) GetState(slot common.Hash) common.Hash {
	v, err := h.ex.Storage(nil, registry.Address, slot)
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}
