package faults

import (
	"bufio"
	"errors"
	"net"
	"testing"
	"time"
)

// echo serves a line echo on loopback and returns its address.
func echo(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// roundTrip sends a line over c and reads it back.
func roundTrip(c net.Conn, r *bufio.Reader) error {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err == nil && line != "ping\n" {
		return errors.New("echo garbled: " + line)
	}
	return err
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

// TestPartitionAndHeal: a partition closes the connections across it and
// refuses new ones, leaves the links on each side alone, and a heal brings
// the same addresses back.
func TestPartitionAndHeal(t *testing.T) {
	n := NewNetwork()
	defer n.Close()
	up := echo(t)
	ab, err := n.Link("a", "b", up)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Link("b", "a", up); err != nil {
		t.Fatal(err)
	}
	ac, err := n.Link("a", "c", up)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := n.Link("a", "b", up); again != ab {
		t.Fatalf("a second Link of a->b made %s, want the first %s", again, ab)
	}
	c, r := dial(t, ab)
	if err := roundTrip(c, r); err != nil {
		t.Fatalf("before the partition: %v", err)
	}
	if err := n.Partition([]string{"a"}, []string{"c"}); !errors.Is(err, ErrNoLink) {
		t.Fatalf("partition over a missing link c->a: %v, want ErrNoLink", err)
	}
	if err := n.Partition([]string{"a"}, []string{"b"}); err != nil {
		t.Fatal(err)
	}
	if err := roundTrip(c, r); err == nil {
		t.Fatal("a connection across the partition still carries data")
	}
	if c2, err := net.DialTimeout("tcp", ab, time.Second); err == nil {
		c2.Close()
		t.Fatal("a new connection across the partition was accepted")
	}
	other, ro := dial(t, ac)
	if err := roundTrip(other, ro); err != nil {
		t.Fatalf("a link outside the partition: %v", err)
	}
	if err := n.Heal(); err != nil {
		t.Fatal(err)
	}
	c3, r3 := dial(t, ab)
	if err := roundTrip(c3, r3); err != nil {
		t.Fatalf("after heal, at the same address: %v", err)
	}
}

// TestDegrade: latency delays every byte by at least its value; a loss of
// 1 stalls every new connection; a heal removes both.
func TestDegrade(t *testing.T) {
	n := NewNetwork()
	defer n.Close()
	up := echo(t)
	ab, _ := n.Link("a", "b", up)
	n.Link("b", "a", up)
	if err := n.Degrade([]string{"a"}, []string{"b"}, 150*time.Millisecond, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	c, r := dial(t, ab)
	start := time.Now()
	if err := roundTrip(c, r); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Fatalf("round trip took %s under 150ms of latency", took)
	}
	if err := n.Heal(); err != nil {
		t.Fatal(err)
	}
	if err := n.Degrade([]string{"a"}, []string{"b"}, 0, 0, 1, 0); err != nil {
		t.Fatal(err)
	}
	lossy, lr := dial(t, ab)
	lossy.SetDeadline(time.Now().Add(500 * time.Millisecond))
	lossy.Write([]byte("ping\n"))
	if _, err := lr.ReadString('\n'); err == nil {
		t.Fatal("a connection under loss 1 carried data")
	}
	if err := n.Degrade([]string{"a"}, []string{"b"}, 0, 0, 2, 0); err == nil {
		t.Fatal("loss 2 accepted")
	}
	n.Heal()
	c2, r2 := dial(t, ab)
	if err := roundTrip(c2, r2); err != nil {
		t.Fatalf("after heal: %v", err)
	}
}
