package client

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// TestUnreachableNodeGetsAdvice: a node that is not running is reported
// with what to do, naming the home when there is one.
func TestUnreachableNodeGetsAdvice(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/devnet"
	l.Close() // nothing listens there now
	ctx := context.Background()
	g, err := DialGateway(ctx, url, Options{Home: "/tmp/node0"})
	if err != nil {
		t.Fatal(err) // HTTP dials lazily
	}
	defer g.Close()
	_, err = g.SubnetID(ctx)
	if err == nil || !strings.Contains(err.Error(), "cannot reach "+url+": is the node running? start it with `aspen node --home /tmp/node0`") {
		t.Fatalf("SubnetID on a closed port: %v", err)
	}
	if _, err := g.Transact(ctx, "stake", nil, "/devnet/games"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Transact without a key: %v, want ErrNoKey", err)
	}
}
