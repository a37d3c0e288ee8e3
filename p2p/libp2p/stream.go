package libp2p

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/aspen-chain/aspen/p2p"
)

// A request stream carries one exchange. The requester writes a frame and
// closes its side; the server answers with a status byte and a frame:
//
//	request:  uvarint(len) payload
//	response: status uvarint(len) payload    status 0 = answer, 1 = error text
//
// Frames are at most p2p.MaxMessageSize bytes; error texts at most
// maxErrorText.

var (
	// ErrRemote wraps the error text a peer's handler answered with.
	ErrRemote = errors.New("libp2p: peer answered with an error")
	// ErrFrame reports a malformed frame on a request stream.
	ErrFrame = errors.New("libp2p: malformed frame")
)

const (
	statusOK    byte = 0
	statusError byte = 1

	maxErrorText = 1024
	// maxConcurrentHandlers bounds requests served at once across all
	// protocols; a stream over the bound is reset at once.
	maxConcurrentHandlers = 64
	// maxHandlersPerPeer bounds requests served at once for one peer.
	maxHandlersPerPeer = 8
)

// Handle serves protocol with fn; a later Handle for the same protocol
// replaces it. An error from fn goes back to the requester as an error frame.
func (h *Host) Handle(proto string, fn p2p.RequestHandler) {
	h.host.SetStreamHandler(protocol.ID(proto), func(s network.Stream) {
		from := s.Conn().RemotePeer()
		if !h.acquireHandler(from) {
			h.log.Debug("request refused: too many in flight", "protocol", proto, "from", from)
			s.Reset()
			return
		}
		defer h.releaseHandler(from)
		h.serve(s, proto, fn)
	})
}

// Unhandle stops serving proto; requests for it then fail as unsupported.
func (h *Host) Unhandle(proto string) { h.host.RemoveStreamHandler(protocol.ID(proto)) }

// acquireHandler takes a slot to serve a request from p, if both the host
// and p are under their bounds, so one peer cannot occupy every slot.
func (h *Host) acquireHandler(p peer.ID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.mu.inflight[p] >= maxHandlersPerPeer {
		return false
	}
	select {
	case h.handlerSlots <- struct{}{}:
	default:
		return false
	}
	h.mu.inflight[p]++
	return true
}

func (h *Host) releaseHandler(p peer.ID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	<-h.handlerSlots
	if h.mu.inflight[p]--; h.mu.inflight[p] <= 0 {
		delete(h.mu.inflight, p)
	}
}

func (h *Host) serve(s network.Stream, proto string, fn p2p.RequestHandler) {
	from := s.Conn().RemotePeer()
	ctx, cancel := context.WithTimeout(h.ctx, h.cfg.RequestTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { s.Reset() })
	defer stop()
	deadline, _ := ctx.Deadline()
	if err := s.SetDeadline(deadline); err != nil {
		s.Reset()
		return
	}

	req, err := readFrame(bufio.NewReader(s), p2p.MaxMessageSize)
	if err != nil {
		h.log.Debug("bad request", "protocol", proto, "from", from, "err", err)
		writeError(s, fmt.Sprintf("bad request: %v", err))
		s.Close()
		return
	}
	resp, err := fn(ctx, from.String(), req)
	switch {
	case err != nil:
		err = writeError(s, err.Error())
	case len(resp) > p2p.MaxMessageSize:
		h.log.Warn("handler answer over the frame cap", "protocol", proto, "bytes", len(resp))
		err = writeError(s, fmt.Sprintf("answer of %d bytes is over the %d-byte cap", len(resp), p2p.MaxMessageSize))
	default:
		err = writeResponse(s, statusOK, resp)
	}
	if err != nil {
		h.log.Debug("write answer", "protocol", proto, "to", from, "err", err)
		s.Reset()
		return
	}
	s.Close()
}

// Request sends req to peer on protocol and waits for the answer. It fails
// with ErrRemote (wrapping the handler's text) when the peer's handler
// failed, ErrTooLarge for frames over the cap, and a wrapped network error
// otherwise. Without a deadline on ctx, RequestTimeout applies.
func (h *Host) Request(ctx context.Context, peerID, proto string, req []byte) ([]byte, error) {
	if h.isClosed() {
		return nil, p2p.ErrClosed
	}
	if len(req) > p2p.MaxMessageSize {
		return nil, fmt.Errorf("%w: request of %d bytes on %s", ErrTooLarge, len(req), proto)
	}
	id, err := decodePeer(peerID)
	if err != nil {
		return nil, err
	}
	ctx, cancel := h.withTimeout(ctx)
	defer cancel()
	s, err := h.host.NewStream(ctx, id, protocol.ID(proto))
	if err != nil {
		return nil, fmt.Errorf("libp2p: open %s to %s: %w", proto, peerID, err)
	}
	stop := context.AfterFunc(ctx, func() { s.Reset() })
	defer stop()
	deadline, _ := ctx.Deadline()
	if err := s.SetDeadline(deadline); err != nil {
		s.Reset()
		return nil, fmt.Errorf("libp2p: %s to %s: set deadline: %w", proto, peerID, err)
	}
	fail := func(what string, err error) ([]byte, error) {
		s.Reset()
		// The stream deadline is ctx's, and may fire just before ctx does.
		cerr := ctx.Err()
		var ne net.Error
		if cerr == nil && (errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) {
			cerr = context.DeadlineExceeded
		}
		if cerr != nil {
			err = fmt.Errorf("%w (%w)", cerr, err)
		}
		return nil, fmt.Errorf("libp2p: %s to %s: %s: %w", proto, peerID, what, err)
	}
	if err := writeFrame(s, req); err != nil {
		return fail("send request", err)
	}
	if err := s.CloseWrite(); err != nil {
		return fail("send request", err)
	}
	r := bufio.NewReader(s)
	status, err := r.ReadByte()
	if err != nil {
		return fail("read answer", err)
	}
	switch status {
	case statusOK:
		resp, err := readFrame(r, p2p.MaxMessageSize)
		if err != nil {
			return fail("read answer", err)
		}
		s.Close()
		return resp, nil
	case statusError:
		text, err := readFrame(r, maxErrorText)
		if err != nil {
			return fail("read error answer", err)
		}
		s.Close()
		return nil, fmt.Errorf("libp2p: %s to %s: %w: %s", proto, peerID, ErrRemote, text)
	default:
		return fail("read answer", fmt.Errorf("%w: status byte %d", ErrFrame, status))
	}
}

func writeFrame(w io.Writer, payload []byte) error {
	buf := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(payload)), uint64(len(payload)))
	_, err := w.Write(append(buf, payload...))
	return err
}

func writeResponse(w io.Writer, status byte, payload []byte) error {
	buf := binary.AppendUvarint(append(make([]byte, 0, 1+binary.MaxVarintLen64+len(payload)), status), uint64(len(payload)))
	_, err := w.Write(append(buf, payload...))
	return err
}

func writeError(w io.Writer, text string) error {
	if len(text) > maxErrorText {
		text = text[:maxErrorText]
	}
	return writeResponse(w, statusError, []byte(text))
}

// readFrame reads one length-prefixed frame, refusing lengths over limit
// before reading (or allocating) the payload.
func readFrame(r *bufio.Reader, limit int) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: stream ended before the frame length", ErrFrame)
		}
		return nil, fmt.Errorf("%w: length: %w", ErrFrame, err)
	}
	if n > uint64(limit) {
		return nil, fmt.Errorf("%w: frame of %d bytes, limit %d", ErrTooLarge, n, limit)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("%w: %d-byte payload: %w", ErrFrame, n, err)
	}
	return buf, nil
}
