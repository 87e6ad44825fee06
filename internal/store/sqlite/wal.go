package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// WALReport is what CheckWAL found in a database's write-ahead log.
type WALReport struct {
	// Frames and Commits count the frames SQLite will replay and the
	// transactions they end.
	Frames, Commits int
	// Damaged is true when a complete frame of the current log fails its
	// checksum: SQLite silently stops replaying there.
	Damaged bool
	// DamagedAt is the index (from 0) of that frame; -1 when the log's
	// header itself is damaged and nothing will be replayed.
	DamagedAt int
	// LostCommits counts committed transactions written after the damage,
	// which SQLite will drop: acknowledged writes, lost.
	LostCommits int
}

const (
	walMagic       = 0x377f0682
	walHeaderSize  = 32
	walFrameHeader = 24
)

// CheckWAL reads the write-ahead log beside the database at dbPath the way
// SQLite's recovery does, before SQLite opens it: SQLite drops every frame
// from the first one that fails its checksum without a word, so the
// damage is reported here instead. A missing or empty log is a clean
// report. Run it only while no process has the database open.
func CheckWAL(dbPath string) (WALReport, error) {
	rep := WALReport{DamagedAt: -1}
	b, err := os.ReadFile(dbPath + "-wal")
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(b) == 0 {
		return rep, nil
	}
	if err != nil {
		return rep, fmt.Errorf("read the WAL: %w", err)
	}
	if len(b) < walHeaderSize {
		return rep, nil // a header never completed: nothing was committed into it
	}
	magic := binary.BigEndian.Uint32(b)
	if magic&^1 != walMagic {
		rep.Damaged = true
		return rep, nil
	}
	var order binary.ByteOrder = binary.LittleEndian
	if magic&1 == 1 {
		order = binary.BigEndian
	}
	pageSize := int(binary.BigEndian.Uint32(b[8:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		rep.Damaged = true
		return rep, nil
	}
	salt1, salt2 := binary.BigEndian.Uint32(b[16:]), binary.BigEndian.Uint32(b[20:])
	s1, s2 := walChecksum(order, b[:24], 0, 0)
	headerOK := s1 == binary.BigEndian.Uint32(b[24:]) && s2 == binary.BigEndian.Uint32(b[28:])

	frameSize := walFrameHeader + pageSize
	valid := headerOK
	if !headerOK {
		rep.Damaged = true
	}
	for i, off := 0, walHeaderSize; off+frameSize <= len(b); i, off = i+1, off+frameSize {
		h := b[off : off+walFrameHeader]
		if binary.BigEndian.Uint32(h[8:]) != salt1 || binary.BigEndian.Uint32(h[12:]) != salt2 {
			break // a frame of an earlier generation of the log: the end
		}
		commit := binary.BigEndian.Uint32(h[4:]) != 0
		if !valid {
			if commit {
				rep.LostCommits++
			}
			continue
		}
		c1, c2 := walChecksum(order, h[:8], s1, s2)
		c1, c2 = walChecksum(order, b[off+walFrameHeader:off+frameSize], c1, c2)
		if c1 != binary.BigEndian.Uint32(h[16:]) || c2 != binary.BigEndian.Uint32(h[20:]) {
			valid = false
			rep.Damaged, rep.DamagedAt = true, i
			if commit {
				rep.LostCommits++
			}
			continue
		}
		s1, s2 = c1, c2
		rep.Frames++
		if commit {
			rep.Commits++
		}
	}
	return rep, nil
}

// walChecksum continues SQLite's WAL checksum (s1, s2) over b, a multiple
// of 8 bytes, read as 32-bit words in the log's byte order.
func walChecksum(order binary.ByteOrder, b []byte, s1, s2 uint32) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s1 += order.Uint32(b[i:]) + s2
		s2 += order.Uint32(b[i+4:]) + s1
	}
	return s1, s2
}

// String says what the report means for the data, for logs and doctor.
func (r WALReport) String() string {
	switch {
	case !r.Damaged:
		return fmt.Sprintf("the WAL holds %d frames in %d transactions, all intact", r.Frames, r.Commits)
	case r.DamagedAt < 0:
		return fmt.Sprintf("the WAL's header is damaged: SQLite will ignore the whole log, dropping %d committed transactions",
			r.LostCommits)
	default:
		return fmt.Sprintf("the WAL is damaged at frame %d: SQLite will replay %d transactions before it and drop %d committed after it",
			r.DamagedAt, r.Commits, r.LostCommits)
	}
}
