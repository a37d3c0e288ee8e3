package private

import (
	"bytes"
	"testing"
)

// FuzzDecodeEnvelope feeds the decoder untrusted bytes: it must not panic,
// must bound what it accepts, and what it accepts must re-encode to the same
// bytes (one encoding per envelope) and go through Verify and Open without
// panicking.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, n := range []int{1, 3} {
		env, _ := seal(f, []byte("fuzz seed payload"), n)
		b, _ := env.Encode()
		f.Add(b)
	}
	f.Add([]byte{0xc0})
	f.Add([]byte{0xf9, 0xff, 0xff})
	me := encKey(f, 1)
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := DecodeEnvelope(b)
		if err != nil {
			return
		}
		if len(env.Recipients) > MaxRecipients || len(env.Ciphertext) > MaxPayload+tagSize {
			t.Fatalf("accepted %d recipients, %d bytes of ciphertext", len(env.Recipients), len(env.Ciphertext))
		}
		again, err := env.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded envelope re-encodes differently (err %v)", err)
		}
		_ = Verify(env, testCtx)
		_, _ = Open(env, testCtx, me)
	})
}
