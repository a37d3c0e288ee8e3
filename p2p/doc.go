// Package p2p is what the rest of Aspen knows about networking: the names of
// each subnet's topics and stream protocols, and the small Host interface a
// transport implements. It imports no networking library; p2p/libp2p is the
// implementation over go-libp2p, and the simulator has its own virtual one.
package p2p
