package queue

import (
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
)

// Acknowledgement state lives in two files:
//
//   - ack.ckpt: a checkpoint written atomically (temporary file + rename):
//     magic "fkqck001", head (uint64), count (uint32), count sequence
//     numbers acknowledged above the head (uint64 each), CRC32C of all
//     preceding bytes.
//   - acks.log: magic "fkqack01" then frames (same framing as segments)
//     whose payload is a kind byte and uint64 sequence numbers: kind 1
//     acknowledges the listed numbers, kind 2 moves the head to the number
//     (DropOldest eviction). One Ack call is one write(2).
//
// Open replays the log over the checkpoint, then writes a fresh checkpoint
// and empties the log; so does Close, and Ack when the log grows past
// ackLogCompactSize.
const (
	ackLogName        = "acks.log"
	ackCheckpointName = "ack.ckpt"
	ackLogMagic       = "fkqack01"
	ackCkptMagic      = "fkqck001"
	ackLogCompactSize = 4 << 20

	ackKindAck  = 1
	ackKindDrop = 2
)

// readCheckpoint decodes ack.ckpt bytes.
func readCheckpoint(b []byte, above map[uint64]struct{}) (head uint64, reason string) {
	if len(b) < 8+8+4+4 || string(b[:8]) != ackCkptMagic {
		return 0, "bad checkpoint header"
	}
	body := b[:len(b)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return 0, "checkpoint checksum mismatch"
	}
	head = binary.LittleEndian.Uint64(body[8:16])
	if head > maxSeq {
		return 0, "checkpoint head out of range"
	}
	n := binary.LittleEndian.Uint32(body[16:20])
	if uint64(len(body)-20) != uint64(n)*8 {
		return 0, "checkpoint length does not match its count"
	}
	for i := range int(n) {
		if s := binary.LittleEndian.Uint64(body[20+8*i:]); s > head {
			above[s] = struct{}{}
		}
	}
	return head, ""
}

// encodeCheckpoint returns ack.ckpt bytes.
func encodeCheckpoint(head uint64, above map[uint64]struct{}) []byte {
	b := make([]byte, 0, 24+8*len(above))
	b = append(b, ackCkptMagic...)
	b = binary.LittleEndian.AppendUint64(b, head)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(above)))
	for s := range above {
		b = binary.LittleEndian.AppendUint64(b, s)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// replayAckLog applies acks.log bytes to head and above. It returns the
// damaged range, if any (replay stops there: losing acknowledgements only
// causes redelivery).
func replayAckLog(b []byte, head *uint64, above map[uint64]struct{}) *damage {
	if len(b) == 0 {
		return nil
	}
	if len(b) < len(ackLogMagic) || string(b[:len(ackLogMagic)]) != ackLogMagic {
		return &damage{0, int64(len(b)), "bad acknowledgement log header"}
	}
	off := len(ackLogMagic)
	for off < len(b) {
		_, p, n, st := parseFrame(b[off:], 1<<30)
		if st != frameOK {
			return &damage{int64(off), int64(len(b)), st.String()}
		}
		if len(p) < 1 || (len(p)-1)%8 != 0 || p[0] < ackKindAck || p[0] > ackKindDrop {
			return &damage{int64(off), int64(len(b)), "malformed acknowledgement entry"}
		}
		for i := 1; i < len(p); i += 8 {
			s := binary.LittleEndian.Uint64(p[i:])
			if s > maxSeq {
				return &damage{int64(off), int64(len(b)), "sequence number out of range"}
			}
			switch {
			case p[0] == ackKindDrop && s > *head:
				*head = s
			case p[0] == ackKindAck && s > *head:
				above[s] = struct{}{}
			}
		}
		off += n
	}
	for s := range above {
		if s <= *head {
			delete(above, s)
		}
	}
	return nil
}

// writeFileAtomic writes b to dir/name through a temporary file and rename,
// with fsyncs when durable.
func writeFileAtomic(dir, name string, b []byte, durable bool) error {
	tmp := filepath.Join(dir, name+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if durable {
		return syncDir(dir)
	}
	return nil
}

// syncDir fsyncs a directory so that creations and renames in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
