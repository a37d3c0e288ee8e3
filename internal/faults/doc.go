// Package faults injects real faults into the processes and links of a
// local network, for end-to-end tests and the chaos runner: it pauses
// (SIGSTOP) and resumes processes, kills them with SIGKILL, wipes a node's
// data directory (keeping its keys and config), and puts a Toxiproxy proxy
// on every directed link between nodes, so that any set of nodes can be
// cut from any other, and links slowed, capped or made lossy.
//
// Toxiproxy works on TCP streams, not packets: "loss" here stalls a share
// of the connections (its timeout toxic, with that toxicity) until they
// are reset and redialled, which is how a lossy path looks to libp2p's
// TCP connections; latency, jitter and bandwidth caps apply to every byte.
package faults
