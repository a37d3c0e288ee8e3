package light

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus/bft"
	_ "github.com/aspen-chain/aspen/consensus/engines"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

// The fixture is a small real tree: a bft root /test whose blocks carry
// real BLS commit certificates (a validator-set change at setChange), and
// whose state (real Merkle-Patricia tries) holds, in its gateway, the hash
// of the checkpoint of /test/a it committed; that checkpoint names a state
// root of /test/a, in which user holds userBalance. The server below answers
// the client's calls from it as a node does; tests corrupt its answers.

const (
	rootID    = types.SubnetID("/test")
	childID   = types.SubnetID("/test/a")
	setChange = 20 // block that announces the second validator set
	headAt    = 40
)

var (
	user        = common.HexToAddress("0x00000000000000000000000000000000000000aa")
	userBalance = big.NewInt(123456789)
	userSlot    = common.HexToHash("0x07")
	userWord    = common.HexToHash("0x2a")

	// viewer calls holder, which returns its slot 0 (userWord).
	viewer     = common.HexToAddress("0x00000000000000000000000000000000000000c1")
	holder     = common.HexToAddress("0x00000000000000000000000000000000000000c2")
	holderCode = common.FromHex("0x60005460005260206000f3") // return sload(0)
	// staticcall(gas, holder, 0, 0, 0, 32); return mem[0:32]
	viewerCode = append(append(common.FromHex("0x602060006000600073"), holder.Bytes()...), common.FromHex("0x5afa5060206000f3")...)
)

type fixture struct {
	gen       *config.Genesis
	keysA     []*crypto.BLSSecretKey // genesis set
	keysB     []*crypto.BLSSecretKey // set from setChange+1 on
	headers   map[uint64]*types.Header
	commits   map[uint64]*types.Commit
	signers   map[uint64][]types.Validator
	rootTrie  *stateTrie
	childTrie *stateTrie
	otherTrie *stateTrie // the child's state at another height: user holds more
	cp        *types.Checkpoint
	cpEnc     []byte
	msg       types.CrossMsg
}

// stateTrie is an account trie with its accounts' storage tries.
type stateTrie struct {
	accounts *trie.Trie
	storage  map[common.Address]*trie.Trie
	code     map[common.Address][]byte
}

func newStateTrie() *stateTrie {
	return &stateTrie{accounts: trie.NewEmpty(nil), storage: map[common.Address]*trie.Trie{}, code: map[common.Address][]byte{}}
}

func (s *stateTrie) set(addr common.Address, balance *big.Int, slots map[common.Hash]common.Hash) {
	s.setContract(addr, balance, nil, slots)
}

// setContract sets an account with code.
func (s *stateTrie) setContract(addr common.Address, balance *big.Int, code []byte, slots map[common.Hash]common.Hash) {
	st := trie.NewEmpty(nil)
	for k, v := range slots {
		enc, _ := rlp.EncodeToBytes(common.TrimLeftZeroes(v[:]))
		st.MustUpdate(gethcrypto.Keccak256(k[:]), enc)
	}
	s.storage[addr] = st
	s.code[addr] = code
	acc, _ := rlp.EncodeToBytes(&gethtypes.StateAccount{Nonce: 1, Balance: uint256.MustFromBig(balance), Root: st.Hash(), CodeHash: gethcrypto.Keccak256(code)})
	s.accounts.MustUpdate(gethcrypto.Keccak256(addr[:]), acc)
}

type proofList []hexutil.Bytes

func (p *proofList) Put(_, v []byte) error { *p = append(*p, common.CopyBytes(v)); return nil }
func (p *proofList) Delete([]byte) error   { return nil }

func (s *stateTrie) prove(addr common.Address, slots []common.Hash) *rawAccountProof {
	out := &rawAccountProof{Address: addr}
	var ap proofList
	if err := s.accounts.Prove(gethcrypto.Keccak256(addr[:]), &ap); err != nil {
		panic(err)
	}
	out.AccountProof = ap
	for _, slot := range slots {
		var sp proofList
		if st := s.storage[addr]; st != nil {
			if err := st.Prove(gethcrypto.Keccak256(slot[:]), &sp); err != nil {
				panic(err)
			}
		}
		out.StorageProof = append(out.StorageProof, struct {
			Key   string          `json:"key"`
			Proof []hexutil.Bytes `json:"proof"`
		}{slot.Hex(), sp})
	}
	return out
}

var _ = memorydb.New // proofs are checked through memorydb in proof.go

func validators(keys []*crypto.BLSSecretKey) []types.Validator {
	vs := make([]types.Validator, len(keys))
	for i, k := range keys {
		vs[i] = types.Validator{Address: common.BigToAddress(big.NewInt(int64(1000 + i))), BLSPublicKey: k.PublicKey().Bytes(), Power: 10}
	}
	return vs
}

// certify signs h with keys (all of them sign) as bft would.
func certify(h *types.Header, keys []*crypto.BLSSecretKey) *types.Commit {
	c := &types.Commit{Height: h.Height, BlockHash: h.Hash()}
	var sigs [][]byte
	msg := bft.VoteSignBytes(h.SubnetID, bft.Precommit, h.Height, 0, h.Hash())
	for i, k := range keys {
		c.SetSigner(i)
		sigs = append(sigs, k.Sign(msg))
	}
	agg, err := crypto.AggregateSignatures(sigs)
	if err != nil {
		panic(err)
	}
	c.Signature = agg
	return c
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	all := testkeys.BLSKeys(8)
	f := &fixture{keysA: all[:4], keysB: all[3:7], headers: map[uint64]*types.Header{}, commits: map[uint64]*types.Commit{}, signers: map[uint64][]types.Validator{}}
	f.gen = &config.Genesis{SubnetID: string(rootID), ChainID: 77, Engine: "bft"}
	for _, v := range validators(f.keysA) {
		f.gen.Validators = append(f.gen.Validators, config.GenesisValidator{Address: v.Address, BLSPublicKey: v.BLSPublicKey, Power: v.Power})
	}
	f.gen.SetDefaults()
	if err := f.gen.Validate(); err != nil {
		t.Fatal(err)
	}

	f.childTrie = newStateTrie()
	f.childTrie.set(user, userBalance, map[common.Hash]common.Hash{userSlot: userWord})
	f.childTrie.setContract(viewer, new(big.Int), viewerCode, nil)
	f.childTrie.setContract(holder, new(big.Int), holderCode, map[common.Hash]common.Hash{{}: userWord, {9}: {9}})
	for i := range 20 { // other accounts, so proofs have branches
		f.childTrie.set(common.BigToAddress(big.NewInt(int64(i+1))), big.NewInt(int64(i)), nil)
	}
	f.otherTrie = newStateTrie()
	f.otherTrie.set(user, new(big.Int).Mul(userBalance, big.NewInt(1000)), nil)

	f.msg = types.CrossMsg{ID: types.MsgID(string(childID), 1), SrcSubnet: string(childID), SrcNonce: 1, From: user,
		DstSubnet: string(rootID), To: user, Value: big.NewInt(5), Kind: types.KindTransfer}
	other := f.msg
	other.SrcNonce, other.ID, other.Value = 2, types.MsgID(string(childID), 2), big.NewInt(7)
	f.cp = &types.Checkpoint{Subnet: string(childID), Height: 10, BlockHash: common.Hash{0xb1}, StateRoot: f.childTrie.accounts.Hash(),
		Config: 1, AppliedConfig: 1, Messages: []types.CrossMsg{f.msg, other}}
	var err error
	if f.cpEnc, err = types.EncodeCheckpoint(f.cp); err != nil {
		t.Fatal(err)
	}
	slot, err := gateway.LastCheckpointHashSlot(rootID, childID)
	if err != nil {
		t.Fatal(err)
	}
	f.rootTrie = newStateTrie()
	f.rootTrie.set(gateway.Address, new(big.Int), map[common.Hash]common.Hash{slot: f.cp.Hash(), {1}: {2}})
	for i := range 20 {
		f.rootTrie.set(common.BigToAddress(big.NewInt(int64(i+100))), big.NewInt(1), nil)
	}

	prev := common.Hash{}
	for h := uint64(1); h <= headAt; h++ {
		hdr := &types.Header{SubnetID: rootID, Height: h, ParentHash: prev, TimeMs: 1000 * h, StateRoot: f.rootTrie.accounts.Hash(), BaseFee: big.NewInt(1)}
		keys := f.keysA
		if h > setChange {
			keys = f.keysB
		}
		if h == setChange {
			hdr.NextValidators = validators(f.keysB)
		}
		f.headers[h], f.commits[h], f.signers[h] = hdr, certify(hdr, keys), validators(keys)
		prev = hdr.Hash()
	}
	return f
}

func (f *fixture) lightBlock(h uint64) *rawLightBlock {
	if h == 0 {
		h = headAt
	}
	out := &rawLightBlock{}
	out.Header, _ = rlp.EncodeToBytes(f.headers[h])
	out.Commit, _ = types.EncodeCommit(f.commits[h])
	out.Validators, _ = rlp.EncodeToBytes(f.signers[h])
	return out
}

func (f *fixture) checkpointProof(parentHeight uint64) *rawCheckpointProof {
	slot, _ := gateway.LastCheckpointHashSlot(rootID, childID)
	p := f.rootTrie.prove(gateway.Address, []common.Hash{slot})
	return &rawCheckpointProof{Subnet: string(childID), ParentHeight: hexutil.Uint64(parentHeight), Checkpoints: []hexutil.Bytes{f.cpEnc},
		AccountProof: p.AccountProof, StorageProof: p.StorageProof[0].Proof}
}

// lie rewrites an answer of method before it is sent; it returns the answer
// to send (nil: the honest one).
type lie func(method string, answer any) any

// server serves f as a node's RPC would, passing each answer through lie.
func (f *fixture) server(t testing.TB, lie lie) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		num := func(i int) uint64 {
			var n hexutil.Uint64
			if i < len(req.Params) {
				_ = json.Unmarshal(req.Params[i], &n)
			}
			return uint64(n)
		}
		var answer any
		switch req.Method {
		case "aspen_getLightBlock":
			answer = f.lightBlock(num(1))
		case "aspen_getCheckpointProof":
			answer = f.checkpointProof(num(1))
		case "eth_getProof":
			if strings.TrimRight(r.URL.Path, "/") != string(childID) {
				http.Error(w, "no such subnet", http.StatusNotFound)
				return
			}
			var (
				addr  common.Address
				slots []common.Hash
			)
			_ = json.Unmarshal(req.Params[0], &addr)
			_ = json.Unmarshal(req.Params[1], &slots)
			answer = f.childTrie.prove(addr, slots)
		case "eth_getCode":
			var addr common.Address
			_ = json.Unmarshal(req.Params[0], &addr)
			answer = hexutil.Bytes(f.childTrie.code[addr])
		case "aspen_getCrossMsgProof":
			p, err := xnet.ProveMessage(f.cp, f.msg.ID)
			if err != nil {
				t.Error(err)
			}
			pj, _ := json.Marshal(p)
			answer = &rawCrossMsgProof{Proof: pj, Checkpoint: f.cpEnc, Parent: string(rootID)}
		default:
			http.Error(w, "unknown method "+req.Method, http.StatusNotFound)
			return
		}
		if lie != nil {
			if l := lie(req.Method, answer); l != nil {
				answer = l
			}
		}
		if raw, ok := answer.([]byte); ok { // a lie that is not even JSON-RPC
			_, _ = w.Write(raw)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": 1, "result": answer})
	}))
	t.Cleanup(srv.Close)
	return srv
}
