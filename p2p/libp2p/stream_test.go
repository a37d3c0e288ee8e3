package libp2p

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aspen-chain/aspen/p2p"
)

const echoProto = "/aspen/test/echo/1"

func TestRequestResponse(t *testing.T) {
	a, b := newHost(t, Config{}), newHost(t, Config{})
	var gotFrom atomic.Value // the handler runs on b's goroutines
	b.Handle(echoProto, func(_ context.Context, from string, req []byte) ([]byte, error) {
		gotFrom.Store(from)
		switch string(req) {
		case "fail":
			return nil, errors.New("no such block: height 7")
		case "huge":
			return make([]byte, p2p.MaxMessageSize+1), nil
		case "full":
			return bytes.Repeat([]byte{7}, p2p.MaxMessageSize), nil
		}
		return append([]byte("echo:"), req...), nil
	})
	connect(t, a, b)
	ctx := context.Background()

	resp, err := a.Request(ctx, b.ID(), echoProto, []byte("hello"))
	if err != nil || string(resp) != "echo:hello" {
		t.Fatalf("round trip: %q, %v", resp, err)
	}
	if gotFrom.Load() != a.ID() {
		t.Fatalf("handler saw requester %s, want %s", gotFrom, a.ID())
	}
	// An empty request is a valid request.
	if resp, err := a.Request(ctx, b.ID(), echoProto, nil); err != nil || string(resp) != "echo:" {
		t.Fatalf("empty request: %q, %v", resp, err)
	}
	// The handler's error comes back as an error, with its text.
	_, err = a.Request(ctx, b.ID(), echoProto, []byte("fail"))
	if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "no such block: height 7") {
		t.Fatalf("handler error: got %v, want ErrRemote with the handler's text", err)
	}
	// An answer over the cap is refused by the server, cleanly.
	_, err = a.Request(ctx, b.ID(), echoProto, []byte("huge"))
	if !errors.Is(err, ErrRemote) || !strings.Contains(err.Error(), "cap") {
		t.Fatalf("oversized answer: got %v, want ErrRemote naming the cap", err)
	}
	// Exactly the cap is fine.
	if resp, err := a.Request(ctx, b.ID(), echoProto, []byte("full")); err != nil || len(resp) != p2p.MaxMessageSize {
		t.Fatalf("full-size answer: %d bytes, %v", len(resp), err)
	}
	// A request over the cap is refused before it is sent.
	if _, err := a.Request(ctx, b.ID(), echoProto, make([]byte, p2p.MaxMessageSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized request: got %v, want ErrTooLarge", err)
	}
	// The host still serves after all that.
	if resp, err := a.Request(ctx, b.ID(), echoProto, []byte("again")); err != nil || string(resp) != "echo:again" {
		t.Fatalf("after errors: %q, %v", resp, err)
	}
}

// TestUnhandleStopsServing: a stopped subnet's protocol is no longer served.
func TestUnhandleStopsServing(t *testing.T) {
	a, b := newHost(t, Config{}), newHost(t, Config{})
	b.Handle(echoProto, func(_ context.Context, _ string, req []byte) ([]byte, error) { return req, nil })
	connect(t, a, b)
	ctx := context.Background()
	if _, err := a.Request(ctx, b.ID(), echoProto, []byte("x")); err != nil {
		t.Fatalf("served protocol: %v", err)
	}
	b.Unhandle(echoProto)
	if resp, err := a.Request(ctx, b.ID(), echoProto, []byte("x")); err == nil {
		t.Fatalf("unhandled protocol still answered %q", resp)
	}
}

func TestRequestErrors(t *testing.T) {
	a, b := newHost(t, Config{}), newHost(t, Config{})
	connect(t, a, b)
	ctx := context.Background()

	if _, err := a.Request(ctx, "not-a-peer", echoProto, nil); !errors.Is(err, ErrPeerID) {
		t.Fatalf("bad peer ID: got %v, want ErrPeerID", err)
	}
	_, err := a.Request(ctx, b.ID(), "/aspen/test/unknown/1", nil)
	if err == nil || !strings.Contains(err.Error(), "/aspen/test/unknown/1") {
		t.Fatalf("unserved protocol: got %v, want an error naming it", err)
	}
	stranger := newHost(t, Config{ListenAddrs: []string{}})
	if _, err := a.Request(ctx, stranger.ID(), echoProto, nil); err == nil {
		t.Fatal("request to a peer with no known address succeeded")
	}

	// A handler that never answers: the caller's deadline ends the wait.
	b.Handle(echoProto, func(ctx context.Context, _ string, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := a.Request(short, b.ID(), echoProto, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow handler: got %v, want DeadlineExceeded", err)
	}
}

// rawHandler installs a handler that bypasses the framing, to play a broken
// or hostile peer.
func rawHandler(h *Host, proto string, fn func(s network.Stream)) {
	h.host.SetStreamHandler(protocol.ID(proto), fn)
}

func TestRequestRefusesOversizedOrMalformedAnswers(t *testing.T) {
	a, b := newHost(t, Config{}), newHost(t, Config{})
	connect(t, a, b)
	ctx := context.Background()

	// Announces an answer over the cap: the requester must refuse it from
	// the length alone, without reading or allocating a megabyte.
	rawHandler(b, "/aspen/test/big/1", func(s network.Stream) {
		defer s.Close()
		io := bufio.NewReader(s)
		readFrame(io, p2p.MaxMessageSize)
		s.Write(binary.AppendUvarint([]byte{statusOK}, p2p.MaxMessageSize+1))
	})
	if _, err := a.Request(ctx, b.ID(), "/aspen/test/big/1", nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized answer: got %v, want ErrTooLarge", err)
	}
	// Hangs up mid-frame.
	rawHandler(b, "/aspen/test/short/1", func(s network.Stream) {
		defer s.Close()
		s.Write(append(binary.AppendUvarint([]byte{statusOK}, 100), "only a little"...))
	})
	if _, err := a.Request(ctx, b.ID(), "/aspen/test/short/1", nil); !errors.Is(err, ErrFrame) {
		t.Fatalf("truncated answer: got %v, want ErrFrame", err)
	}
	// Unknown status byte.
	rawHandler(b, "/aspen/test/status/1", func(s network.Stream) {
		defer s.Close()
		s.Write([]byte{9, 0})
	})
	if _, err := a.Request(ctx, b.ID(), "/aspen/test/status/1", nil); !errors.Is(err, ErrFrame) {
		t.Fatalf("bad status: got %v, want ErrFrame", err)
	}

	// And the server side: a request claiming more than the cap is answered
	// with an error frame, and the handler never runs.
	var ran atomic.Bool
	b.Handle(echoProto, func(context.Context, string, []byte) ([]byte, error) { ran.Store(true); return nil, nil })
	s, err := a.host.NewStream(ctx, b.host.ID(), echoProto)
	if err != nil {
		t.Fatal(err)
	}
	s.Write(binary.AppendUvarint(nil, p2p.MaxMessageSize+1))
	s.CloseWrite()
	r := bufio.NewReader(s)
	status, err := r.ReadByte()
	if err != nil || status != statusError {
		t.Fatalf("oversized request: status %d, %v; want an error frame", status, err)
	}
	text, err := readFrame(r, maxErrorText)
	if err != nil || !strings.Contains(string(text), "bad request") {
		t.Fatalf("error text %q, %v", text, err)
	}
	if ran.Load() {
		t.Fatal("handler ran on an oversized request")
	}
}

func BenchmarkRequestRoundTrip(b *testing.B) {
	x, y := newHost(b, Config{}), newHost(b, Config{})
	y.Handle(echoProto, func(_ context.Context, _ string, req []byte) ([]byte, error) { return req, nil })
	connect(b, x, y)
	req := make([]byte, 256)
	b.ResetTimer()
	for b.Loop() {
		if _, err := x.Request(context.Background(), y.ID(), echoProto, req); err != nil {
			b.Fatal(err)
		}
	}
}

// One peer cannot take more than maxHandlersPerPeer serving slots; the
// requests over the bound fail at once instead of queueing.
func TestRequestsInFlightPerPeerAreBounded(t *testing.T) {
	a, b := newHost(t, Config{}), newHost(t, Config{})
	entered, release := make(chan struct{}, maxHandlersPerPeer+1), make(chan struct{})
	b.Handle(echoProto, func(_ context.Context, _ string, req []byte) ([]byte, error) {
		entered <- struct{}{}
		<-release
		return req, nil
	})
	connect(t, a, b)
	errs := make(chan error, maxHandlersPerPeer)
	for range maxHandlersPerPeer {
		go func() {
			_, err := a.Request(context.Background(), b.ID(), echoProto, []byte("x"))
			errs <- err
		}()
	}
	for range maxHandlersPerPeer {
		<-entered
	}
	if _, err := a.Request(context.Background(), b.ID(), echoProto, []byte("one too many")); err == nil {
		t.Fatal("a request over the per-peer bound was served")
	}
	close(release)
	for range maxHandlersPerPeer {
		if err := <-errs; err != nil {
			t.Fatalf("a request within the bound failed: %v", err)
		}
	}
	// Slots are given back.
	if _, err := a.Request(context.Background(), b.ID(), echoProto, []byte("after")); err != nil {
		t.Fatalf("after the burst: %v", err)
	}
}
