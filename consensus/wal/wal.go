package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/rlp"
)

// ErrCorrupt is returned by Open for a damaged record before the last one.
var ErrCorrupt = errors.New("wal: corrupt record")

// maxRecord bounds one record; engine messages are far smaller.
const maxRecord = 8 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type record struct {
	Height uint64
	Entry  []byte
}

// WAL is an append-only log of consensus entries tagged with the height they
// were made at. It is used by the driver's goroutine only.
type WAL struct {
	path    string
	f       *os.File
	records []record // entries kept since the last truncation, for Entries
}

// Open opens or creates the log at path and loads its records.
func Open(path string) (*WAL, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("wal: open %s: %w", path, err)
	}
	recs, good, err := readAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%w in %s: %v (move the file away only if you are sure this validator signed nothing since its last block)", ErrCorrupt, path, err)
	}
	// Cut a torn tail so the next append starts on a record boundary.
	if err := f.Truncate(good); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &WAL{path: path, f: f, records: recs}, nil
}

// readAll parses records and returns them with the offset after the last
// whole one. A short or checksum-failing final record is a torn write; the
// same damage followed by more data is corruption.
func readAll(f *os.File) ([]record, int64, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	size := info.Size()
	r := bufio.NewReader(f)
	var recs []record
	var off int64
	for off < size {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return recs, off, nil // torn header at the end
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		sum := binary.BigEndian.Uint32(hdr[4:])
		end := off + 8 + int64(n)
		if end > size {
			return recs, off, nil // torn body at the end
		}
		if n > maxRecord {
			return nil, 0, fmt.Errorf("record at offset %d claims %d bytes", off, n)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return recs, off, nil
		}
		if crc32.Checksum(body, castagnoli) != sum {
			if end == size {
				return recs, off, nil // the last record was torn
			}
			return nil, 0, fmt.Errorf("checksum mismatch at offset %d", off)
		}
		var rec record
		if err := rlp.DecodeBytes(body, &rec); err != nil {
			return nil, 0, fmt.Errorf("undecodable record at offset %d: %v", off, err)
		}
		recs = append(recs, rec)
		off = end
	}
	return recs, off, nil
}

// Append writes entries made at height and fsyncs before returning.
func (w *WAL) Append(height uint64, entries [][]byte) error {
	if len(entries) == 0 {
		return nil
	}
	var buf []byte
	for _, e := range entries {
		body, err := rlp.EncodeToBytes(record{height, e})
		if err != nil {
			return err
		}
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(body)))
		binary.BigEndian.PutUint32(hdr[4:], crc32.Checksum(body, castagnoli))
		buf = append(append(buf, hdr[:]...), body...)
	}
	if _, err := w.f.Write(buf); err != nil {
		return fmt.Errorf("wal: append: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("wal: sync: %w", err)
	}
	for _, e := range entries {
		w.records = append(w.records, record{height, append([]byte(nil), e...)})
	}
	return nil
}

// Entries returns, in order, the entries made at heights above after.
func (w *WAL) Entries(after uint64) [][]byte {
	var out [][]byte
	for _, r := range w.records {
		if r.Height > after {
			out = append(out, r.Entry)
		}
	}
	return out
}

// Truncate drops entries made at heights up to and including height (their
// block is final, so they can never be needed again). It rewrites the file
// atomically: a crash leaves either the old or the new log.
func (w *WAL) Truncate(height uint64) error {
	var keep []record
	for _, r := range w.records {
		if r.Height > height {
			keep = append(keep, r)
		}
	}
	if len(keep) == len(w.records) {
		return nil
	}
	if len(keep) == 0 {
		if err := w.f.Truncate(0); err != nil {
			return fmt.Errorf("wal: truncate: %w", err)
		}
		if _, err := w.f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		w.records = nil
		return w.f.Sync()
	}
	tmp := w.path + ".tmp"
	nw := &WAL{path: tmp}
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	nw.f = f
	for _, r := range keep {
		if err := nw.Append(r.Height, [][]byte{r.Entry}); err != nil {
			f.Close()
			return err
		}
	}
	if err := os.Rename(tmp, w.path); err != nil {
		f.Close()
		return err
	}
	if d, err := os.Open(filepath.Dir(w.path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	w.f.Close()
	w.f, w.records = f, keep
	return nil
}

// Close closes the file.
func (w *WAL) Close() error { return w.f.Close() }
