// Package libp2p is Aspen's only user of go-libp2p: the node's p2p identity
// (an Ed25519 key kept in a file), and the host, gossipsub topics and stream
// protocols that carry every subnet's traffic over one connection per peer.
// Nothing outside this package imports go-libp2p.
package libp2p
