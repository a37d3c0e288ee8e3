// Package wal is the consensus write-ahead log: what an engine asks to
// persist (its own signed votes and proposals) is appended and fsynced here
// before the driver lets it leave the process, and replayed into a fresh
// engine after a crash, so a validator never signs two different things for
// the same height, round and step. Entries are opaque to the log.
//
// Format: a sequence of records [len uint32][crc32c uint32][rlp(height, entry)].
// A torn last record (a crash mid-append) is cut off on open; a bad record in
// the middle is corruption and Open refuses the file.
package wal
