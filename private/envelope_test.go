package private

import (
	"bytes"
	"crypto/hpke"
	"errors"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

func TestSealOpenRoundTrip(t *testing.T) {
	payload := []byte("0xf86c... a signed Ethereum transaction")
	for _, n := range []int{1, 2, 5} {
		env, priv := seal(t, payload, n)
		got := roundTrip(t, env)
		if err := Verify(got, testCtx); err != nil {
			t.Fatalf("%d recipients: validators refuse a good envelope: %v", n, err)
		}
		if len(got.Recipients) != n {
			t.Fatalf("%d recipients: envelope lists %d", n, len(got.Recipients))
		}
		if bytes.Contains(got.Ciphertext, payload[:16]) {
			t.Fatalf("%d recipients: ciphertext carries the plaintext", n)
		}
		for i, k := range priv {
			out, err := Open(got, testCtx, k)
			if err != nil {
				t.Fatalf("%d recipients: recipient %d: %v", n, i, err)
			}
			if !bytes.Equal(out, payload) {
				t.Fatalf("%d recipients: recipient %d got %q", n, i, out)
			}
		}
	}
}

func TestSealIsFreshEachTime(t *testing.T) {
	a, _ := seal(t, []byte("same"), 2)
	b, _ := seal(t, []byte("same"), 2)
	if a.KeyCommit == b.KeyCommit || bytes.Equal(a.Ciphertext, b.Ciphertext) || bytes.Equal(a.Wraps[0], b.Wraps[0]) {
		t.Fatal("two seals of one payload share a content key or a wrap")
	}
}

func TestNonRecipientCannotOpen(t *testing.T) {
	env, _ := seal(t, []byte("secret"), 2)
	outsider := encKey(t, 99)
	if _, err := Open(env, testCtx, outsider); !errors.Is(err, ErrNotRecipient) {
		t.Fatalf("outsider: got %v, want ErrNotRecipient", err)
	}
	// An outsider who writes its own key ID into the list still has no wrap.
	env.Recipients[0] = outsider.ID()
	slices.SortFunc(env.Recipients, KeyID.Compare)
	if _, err := Open(env, testCtx, outsider); !errors.Is(err, ErrWrappedKeyBroken) {
		t.Fatalf("outsider in the list: got %v, want ErrWrappedKeyBroken", err)
	}
}

// openErrors are the sentinels Open can return; each tamper must produce its
// own and none of the others.
var openErrors = []error{ErrTooLarge, ErrTruncated, ErrMalformed, ErrVersion, ErrWrongChain, ErrWrongSubnet,
	ErrBadSignature, ErrBadRecipients, ErrPayloadTooLong, ErrNotRecipient, ErrWrappedKeyMoved,
	ErrWrappedKeyBroken, ErrContextAltered, ErrOriginAltered, ErrReaddressed, ErrKeyCommitment, ErrPayloadTampered}

func wantOnly(t *testing.T, name string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got %v, want %v", name, err, want)
	}
	for _, other := range openErrors {
		if other != want && errors.Is(err, other) {
			t.Fatalf("%s: error %v also matches %v", name, err, other)
		}
	}
}

func TestTamperedEnvelopesRefused(t *testing.T) {
	payload := bytes.Repeat([]byte("private tx "), 20)
	other := Context{ChainID: 4243, Subnet: "/devnet/other"}
	cases := []struct {
		name   string
		tamper func(e *Envelope, ks []*PrivateKey) // alters a fresh 3-recipient envelope
		ctx    Context                             // where it is opened
		want   error
	}{
		{"replayed verbatim on another subnet", func(*Envelope, []*PrivateKey) {}, Context{testCtx.ChainID, other.Subnet}, ErrWrongSubnet},
		{"replayed verbatim on another chain", func(*Envelope, []*PrivateKey) {}, Context{other.ChainID, testCtx.Subnet}, ErrWrongChain},
		{"subnet ID rewritten", func(e *Envelope, _ []*PrivateKey) { e.Subnet = other.Subnet }, Context{testCtx.ChainID, other.Subnet}, ErrContextAltered},
		{"chain ID rewritten", func(e *Envelope, _ []*PrivateKey) { e.ChainID = other.ChainID }, Context{other.ChainID, testCtx.Subnet}, ErrContextAltered},
		{"nonce bumped past the replay guard", func(e *Envelope, _ []*PrivateKey) { e.Nonce++ }, testCtx, ErrOriginAltered},
		{"sender rewritten", func(e *Envelope, _ []*PrivateKey) { e.Sender[0] ^= 1 }, testCtx, ErrOriginAltered},
		{"recipient dropped", func(e *Envelope, _ []*PrivateKey) {
			e.Recipients, e.Wraps = e.Recipients[:2], e.Wraps[:2]
		}, testCtx, ErrReaddressed},
		{"recipient added", func(e *Envelope, _ []*PrivateKey) {
			id := KeyID{0xff, 0xff, 0xff, 0xff}
			e.Recipients, e.Wraps = append(e.Recipients, id), append(e.Wraps, slices.Clone(e.Wraps[0]))
		}, testCtx, ErrReaddressed},
		{"wrapped keys swapped", func(e *Envelope, _ []*PrivateKey) { e.Wraps[0], e.Wraps[1] = e.Wraps[1], e.Wraps[0] }, testCtx, ErrWrappedKeyMoved},
		{"wrapped key bit flipped", func(e *Envelope, _ []*PrivateKey) { e.Wraps[0][WrapSize-1] ^= 1 }, testCtx, ErrWrappedKeyBroken},
		{"payload re-encrypted under another key", func(e *Envelope, _ []*PrivateKey) {
			// Same header, another seed: a well-formed ciphertext and
			// commitment, but not under the key wrapped to the recipients.
			again, err := reseal(e, payload)
			if err != nil {
				t.Fatal(err)
			}
			e.Ciphertext, e.KeyCommit = again.Ciphertext, again.KeyCommit
		}, testCtx, ErrKeyCommitment},
		{"payload bit flipped", func(e *Envelope, _ []*PrivateKey) { e.Ciphertext[3] ^= 0x10 }, testCtx, ErrPayloadTampered},
		{"payload truncated", func(e *Envelope, _ []*PrivateKey) { e.Ciphertext = e.Ciphertext[:len(e.Ciphertext)-1] }, testCtx, ErrPayloadTampered},
		{"key commitment bit flipped", func(e *Envelope, _ []*PrivateKey) { e.KeyCommit[31] ^= 1 }, testCtx, ErrKeyCommitment},
		{"signature replaced", func(e *Envelope, _ []*PrivateKey) {
			h := e.SigningHash()
			e.Signature, _ = crypto.Sign(h[:], account(t, 7))
		}, testCtx, ErrBadSignature},
		{"content key re-encrypted to other keys by a recipient", func(e *Envelope, ks []*PrivateKey) {
			rewrapAsRecipient(t, e, ks[0], append(publics(ks), encKey(t, 99).Public()))
		}, testCtx, ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, priv := seal(t, payload, 3)
			c.tamper(env, priv)
			b, err := env.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeEnvelope(b)
			if err != nil {
				t.Fatalf("a tampered but well-formed envelope should decode: %v", err)
			}
			opener := priv[0]
			if c.name == "content key re-encrypted to other keys by a recipient" {
				opener = encKey(t, 99)
			}
			_, err = Open(got, c.ctx, opener)
			wantOnly(t, c.name, err, c.want)
		})
	}
}

// reseal seals payload again under e's header with a new seed.
func reseal(e *Envelope, payload []byte) (*Envelope, error) {
	seed := bytes.Repeat([]byte{7}, seedSize)
	aead, nonce, commit, err := contentKey(seed)
	if err != nil {
		return nil, err
	}
	hh := e.Header.hash()
	return &Envelope{KeyCommit: commit, Ciphertext: aead.Seal(nil, nonce, payload, hh[:])}, nil
}

func publics(ks []*PrivateKey) []PublicKey {
	var out []PublicKey
	for _, k := range ks {
		out = append(out, k.Public())
	}
	return out
}

// rewrapAsRecipient is a malicious recipient's re-addressing: it unwraps the
// seed with its own key and builds a consistent envelope for new keys in the
// original sender's name. Only the sender's signature can catch it.
func rewrapAsRecipient(t *testing.T, e *Envelope, me *PrivateKey, to []PublicKey) {
	t.Helper()
	sk, _ := hpke.NewDHKEMPrivateKey(me.k)
	i, _ := slices.BinarySearchFunc(e.Recipients, me.ID(), KeyID.Compare)
	plain, err := hpke.Open(sk, wrapKDF, wrapAEAD, wrapInfo(me.ID()), e.Wraps[i])
	if err != nil {
		t.Fatal(err)
	}
	seed := plain[:seedSize]
	aead, nonce, _, _ := contentKey(seed)
	payload, err := aead.Open(nil, nonce, e.Ciphertext, func() []byte { h := e.Header.hash(); return h[:] }())
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(to, byKeyID)
	e.Recipients, e.Wraps = nil, nil
	for _, k := range to {
		e.Recipients = append(e.Recipients, k.ID())
	}
	hh := e.Header.hash()
	e.Ciphertext = aead.Seal(nil, nonce, payload, hh[:])
	for _, k := range to {
		pk, _ := hpke.NewDHKEMPublicKey(k.k)
		w, err := hpke.Seal(pk, wrapKDF, wrapAEAD, wrapInfo(k.ID()), append(slices.Clone(seed), e.binding()...))
		if err != nil {
			t.Fatal(err)
		}
		e.Wraps = append(e.Wraps, w)
	}
}

func TestEveryTruncationRefused(t *testing.T) {
	env, _ := seal(t, []byte("short"), 2)
	b, _ := env.Encode()
	for n := 0; n < len(b); n++ {
		if _, err := DecodeEnvelope(b[:n]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("first %d of %d bytes: got %v, want ErrTruncated", n, len(b), err)
		}
	}
}

func TestEveryBitFlipRefused(t *testing.T) {
	env, priv := seal(t, []byte("flip me"), 2)
	b, _ := env.Encode()
	for i := range len(b) * 8 {
		c := slices.Clone(b)
		c[i/8] ^= 1 << (i % 8)
		got, err := DecodeEnvelope(c)
		if err == nil {
			_, err = Open(got, testCtx, priv[0])
		}
		if err == nil {
			t.Fatalf("bit %d flipped: envelope still opens", i)
		}
	}
}

func TestReplayGuard(t *testing.T) {
	g := NewReplayGuard(testCtx)
	env, _ := seal(t, []byte("x"), 1)
	if err := g.Admit(&env.Header); err != nil {
		t.Fatal(err)
	}
	if err := g.Admit(&env.Header); !errors.Is(err, ErrReplay) {
		t.Fatalf("same envelope twice: got %v, want ErrReplay", err)
	}
	if g.Next(env.Sender) != 1 {
		t.Fatalf("next nonce %d, want 1", g.Next(env.Sender))
	}
	h := env.Header
	h.Nonce = 3
	if err := g.Admit(&h); !errors.Is(err, ErrNonceGap) {
		t.Fatalf("nonce 3 after 0: got %v, want ErrNonceGap", err)
	}
	h.Nonce, h.Sender = 0, addr(t, 5)
	if err := g.Admit(&h); err != nil {
		t.Fatalf("another sender's first envelope: %v", err)
	}
	h.Subnet = "/devnet/other"
	if err := g.Check(&h); !errors.Is(err, ErrWrongSubnet) {
		t.Fatalf("other subnet: got %v, want ErrWrongSubnet", err)
	}
}

func TestDecodeBounds(t *testing.T) {
	env, _ := seal(t, []byte("x"), 2)
	good, _ := env.Encode()
	if _, err := DecodeEnvelope(make([]byte, MaxEnvelopeSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
	if _, err := DecodeEnvelope(append(slices.Clone(good), 0x80)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("trailing byte: %v", err)
	}
	w := env.wire()
	w.Version = 2
	b, _ := rlp.EncodeToBytes(w)
	if _, err := DecodeEnvelope(b); !errors.Is(err, ErrVersion) {
		t.Fatalf("version 2: %v", err)
	}
	many := *env
	many.Recipients = make([]KeyID, MaxRecipients+1)
	for i := range many.Recipients {
		many.Recipients[i][0] = byte(i + 1)
	}
	b, _ = many.Encode()
	if _, err := DecodeEnvelope(b); !errors.Is(err, ErrBadRecipients) {
		t.Fatalf("%d recipients: %v", MaxRecipients+1, err)
	}
	unsorted := *env
	unsorted.Recipients = []KeyID{env.Recipients[1], env.Recipients[0]}
	b, _ = unsorted.Encode()
	if _, err := DecodeEnvelope(b); !errors.Is(err, ErrBadRecipients) {
		t.Fatalf("unsorted recipients: %v", err)
	}
	short := *env
	short.Wraps = [][]byte{env.Wraps[0], env.Wraps[1][:WrapSize-1]}
	b, _ = short.Encode()
	if _, err := DecodeEnvelope(b); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short wrap: %v", err)
	}
}

func TestSealRefusesBadInput(t *testing.T) {
	_, pub := keys(t, 2)
	hdr := Header{Context: testCtx}
	if _, err := Seal(make([]byte, MaxPayload+1), pub, hdr, account(t, 0)); !errors.Is(err, ErrPayloadTooLong) {
		t.Fatalf("long payload: %v", err)
	}
	if _, err := Seal(nil, []PublicKey{pub[0], pub[0]}, hdr, account(t, 0)); !errors.Is(err, ErrBadRecipients) {
		t.Fatalf("duplicate recipient: %v", err)
	}
	if _, err := Seal(nil, nil, hdr, account(t, 0)); !errors.Is(err, ErrBadRecipients) {
		t.Fatalf("no recipient: %v", err)
	}
	if _, err := Seal(nil, pub, Header{Context: testCtx, Sender: addr(t, 3)}, account(t, 0)); !errors.Is(err, ErrSenderKey) {
		t.Fatalf("sender not the signer: %v", err)
	}
	lowOrder, _ := PublicKeyFromBytes(make([]byte, KeySize))
	if _, err := Seal(nil, []PublicKey{lowOrder}, hdr, account(t, 0)); !errors.Is(err, ErrBadKey) {
		t.Fatalf("low-order key: %v", err)
	}
}

func TestKeyEncoding(t *testing.T) {
	k := encKey(t, 1)
	back, err := PrivateKeyFromBytes(k.Bytes())
	if err != nil || back.ID() != k.ID() {
		t.Fatalf("private key round trip: %v", err)
	}
	text, err := k.Public().MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var p PublicKey
	if err := p.UnmarshalText(text); err != nil || p.ID() != k.ID() {
		t.Fatalf("public key text round trip %s: %v", text, err)
	}
	if k.ID() == encKey(t, 2).ID() {
		t.Fatal("two keys share an ID")
	}
	if _, err := PublicKeyFromBytes(make([]byte, 31)); !errors.Is(err, ErrBadKey) {
		t.Fatalf("31-byte key: %v", err)
	}
	if err := p.UnmarshalText([]byte("0xzz")); !errors.Is(err, ErrBadKey) {
		t.Fatalf("non-hex key: %v", err)
	}
}
