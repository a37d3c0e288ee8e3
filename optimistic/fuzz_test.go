package optimistic

import "testing"

// bytesChooser takes choices from the fuzzer's input, 0 once it runs out.
type bytesChooser struct{ b []byte }

func (c *bytesChooser) intn(n int) int {
	if len(c.b) == 0 || n <= 1 {
		return 0
	}
	v := int(c.b[0])
	c.b = c.b[1:]
	return v % n
}

// FuzzOptimisticOps runs the operation sequence the input spells and checks
// every property of TestProperties on up to 16 branches.
func FuzzOptimisticOps(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 6, 1, 0, 0, 0, 8, 0, 0, 12, 0, 4, 0})
	f.Add([]byte("\x00\x00\x00\x02\x00\x06\x01\x07\x00\x01\x08\x00\x00\x01\x00\x04\x01\x00\x0b\x00\x01\x0c\x03\x03"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		c := &bytesChooser{b: data}
		w := newWorld(rules{})
		for len(c.b) > 0 {
			if err := w.step(c); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.check(16, c); err != nil {
			t.Fatal(err)
		}
	})
}
