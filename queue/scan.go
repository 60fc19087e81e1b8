package queue

// maxSeq is the largest sequence number a record may carry; it leaves
// room so that counters never wrap.
const maxSeq = 1 << 62

// scannedRecord is an intact record found by scanSegment.
type scannedRecord struct {
	seq       uint64
	off, size int64
}

// damage is a byte range of a segment that failed a check.
type damage struct {
	off, end int64
	reason   string
}

// scanResult is what scanSegment found in one segment file.
type scanResult struct {
	records []scannedRecord
	damaged []damage
	// tail is set when the bytes from tail.off to the end hold no intact
	// record; torn says they look like an interrupted write (a truncated
	// frame or zeros) rather than corruption.
	tail *damage
	torn bool
}

// scanSegment checks every frame of a segment file's bytes. Records must have
// sequence numbers above prev and increasing; after a bad frame the scan
// resynchronises on the next offset holding a fully valid frame, so intact
// records after damage are kept.
func scanSegment(data []byte, maxPayload int, prev uint64) scanResult {
	var r scanResult
	off := 0
	if len(data) < segmentHeaderSize || string(data[:segmentHeaderSize]) != segmentMagic {
		end := min(len(data), segmentHeaderSize)
		if len(data) > 0 {
			r.damaged = append(r.damaged, damage{0, int64(end), "bad segment header"})
		}
		off = end
	} else {
		off = segmentHeaderSize
	}
	for off < len(data) {
		seq, _, n, st := parseFrame(data[off:], maxPayload)
		if st == frameOK && seq > prev && seq <= maxSeq {
			r.records = append(r.records, scannedRecord{seq, int64(off), int64(n)})
			prev = seq
			off += n
			continue
		}
		reason := st.String()
		if st == frameOK {
			reason = "sequence number not increasing"
			if seq > maxSeq {
				reason = "sequence number out of range"
			}
		}
		if st == frameBadPayload || (st == frameOK) {
			// The header checksum held, so the length is trusted.
			r.damaged = append(r.damaged, damage{int64(off), int64(off + n), reason})
			off += n
			continue
		}
		next := resync(data, off+1, maxPayload, prev)
		if next < 0 {
			r.tail = &damage{int64(off), int64(len(data)), reason}
			r.torn = st == frameShort || allZero(data[off:])
			break
		}
		r.damaged = append(r.damaged, damage{int64(off), int64(next), reason})
		off = next
	}
	return r
}

// resync returns the first offset at or after from holding a fully valid
// frame with a sequence number above prev, or -1.
func resync(data []byte, from, maxPayload int, prev uint64) int {
	for i := from; i+frameHeaderSize <= len(data); i++ {
		seq, _, _, st := parseFrame(data[i:], maxPayload)
		if st == frameOK && seq > prev && seq <= maxSeq {
			return i
		}
	}
	return -1
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
