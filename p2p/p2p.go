package p2p

import (
	"context"
	"errors"

	"github.com/aspen-chain/aspen/types"
)

// MaxMessageSize is the largest gossip message or stream frame a node accepts.
const MaxMessageSize = 1 << 20

// ErrClosed is returned by a topic or host used after Close.
var ErrClosed = errors.New("p2p: closed")

// Verdict is a topic validator's judgement of a message.
type Verdict int

const (
	// Accept delivers the message locally and forwards it.
	Accept Verdict = iota
	// Ignore drops the message without penalising its sender (stale, duplicate).
	Ignore
	// Reject drops the message and penalises the peer that sent it (malformed,
	// bad signature, not from a validator).
	Reject
)

// Message is one gossip message as received.
type Message struct {
	From string // peer ID of the originator (signed, so not forgeable)
	Data []byte
}

// Validator judges a gossip message before it is delivered or forwarded. It
// runs on the transport's goroutines: keep it fast and side-effect free.
type Validator func(ctx context.Context, from string, data []byte) Verdict

// Topic is one joined gossip topic.
type Topic interface {
	// Publish signs and sends data to the topic's peers (and not to ourselves).
	Publish(ctx context.Context, data []byte) error
	// Next blocks until the next accepted message from another peer arrives.
	Next(ctx context.Context) (Message, error)
	Close() error
}

// RequestHandler answers one request on a stream protocol.
type RequestHandler func(ctx context.Context, from string, req []byte) ([]byte, error)

// PeerInfo describes one connected peer.
type PeerInfo struct {
	ID          string
	Addrs       []string
	Connections int
}

// Host is a node's one network endpoint shared by all its subnets.
type Host interface {
	ID() string
	// Addrs are this host's dialable multiaddrs, each ending in /p2p/<ID>.
	Addrs() []string
	Join(topic string, v Validator) (Topic, error)
	Handle(protocol string, h RequestHandler)
	// Unhandle stops serving protocol (a stopped subnet's block sync).
	Unhandle(protocol string)
	// Request sends req to peer on protocol and returns its answer.
	Request(ctx context.Context, peer, protocol string, req []byte) ([]byte, error)
	// Connect dials a multiaddr ending in /p2p/<ID> (no-op if connected).
	Connect(ctx context.Context, addr string) error
	Peers() []PeerInfo
	// TopicPeers lists the peers we know are subscribed to topic.
	TopicPeers(topic string) []string
	Close() error
}

// ConsensusTopic carries a subnet's engine messages (proposals, votes).
func ConsensusTopic(id types.SubnetID) string { return "/aspen" + string(id) + "/consensus" }

// TxTopic carries a subnet's transactions.
func TxTopic(id types.SubnetID) string { return "/aspen" + string(id) + "/tx" }

// CheckpointTopic carries a subnet's checkpoint signatures.
func CheckpointTopic(id types.SubnetID) string { return "/aspen" + string(id) + "/checkpoint" }

// BlockSyncProtocol is the stream protocol that serves a subnet's blocks.
func BlockSyncProtocol(id types.SubnetID) string { return "/aspen" + string(id) + "/blocksync/1" }

// WitnessProtocol is the stream protocol that serves blocks with their
// execution witnesses (witnesssync). One protocol serves every subnet the
// node runs: the subnet is in the request, so a peer asking for one the node
// does not run gets an answer that says so.
const WitnessProtocol = "/aspen/witness/1"
