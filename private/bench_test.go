package private

import (
	"fmt"
	"testing"
)

// go test -run '^$' -bench . -benchtime 200x ./private
func BenchmarkSeal(b *testing.B) {
	payload := make([]byte, 1024)
	for _, n := range []int{2, 5} {
		_, pub := keys(b, n)
		signer := account(b, 0)
		b.Run(fmt.Sprintf("recipients=%d/payload=1KB", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Seal(payload, pub, Header{Context: testCtx}, signer); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	payload := make([]byte, 1024)
	for _, n := range []int{2, 5} {
		env, priv := seal(b, payload, n)
		env = roundTrip(b, env)
		b.Run(fmt.Sprintf("recipients=%d/payload=1KB", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Open(env, testCtx, priv[n-1]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOverhead reports the encoded envelope's size beyond the payload,
// fixed and per recipient; its time is that of one Encode.
func BenchmarkOverhead(b *testing.B) {
	size := func(n int) int {
		env, _ := seal(b, make([]byte, 1024), n)
		enc, err := env.Encode()
		if err != nil {
			b.Fatal(err)
		}
		return len(enc)
	}
	one, five := size(1), size(5)
	perRecipient := float64(five-one) / 4
	env, _ := seal(b, make([]byte, 1024), 2)
	for b.Loop() {
		_, _ = env.Encode()
	}
	b.ReportMetric(perRecipient, "bytes/recipient")
	b.ReportMetric(float64(one-1024)-perRecipient, "bytes/fixed")
	b.ReportMetric(float64(five-1024), "overhead-bytes/5-recipients")
}
