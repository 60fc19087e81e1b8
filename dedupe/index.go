package dedupe

// index maps a string key to a slot number with open addressing (linear probing, backward-shift
// deletion, no tombstones). It stores only slot+1 per bucket (4 bytes); the owner keeps the key
// and its 32-bit hash in the slot, and does the probing loop itself so the key comparison is
// inlined. The table is kept at most half full.
type index struct {
	table []uint32 // slot+1; 0 marks an empty bucket
	mask  uint32
	n     int
}

// newIndex returns an index sized for n keys at a load of at most 1/2.
func newIndex(n int) index {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	return index{table: make([]uint32, size), mask: uint32(size - 1)}
}

// full reports whether one more key would push the load above 1/2.
func (x *index) full() bool { return 2*(x.n+1) > len(x.table) }

// insert adds slot under hash h; the caller made sure the key is absent.
func (x *index) insert(h, slot uint32) {
	i := h & x.mask
	for x.table[i] != 0 {
		i = (i + 1) & x.mask
	}
	x.table[i] = slot + 1
	x.n++
}

// remove deletes slot (stored under hash h), shifting later entries of its probe run back so
// that lookups never need tombstones. hashOf returns the hash of an occupied slot.
func (x *index) remove(h, slot uint32, hashOf func(slot uint32) uint32) {
	i := h & x.mask
	for x.table[i] != slot+1 {
		if x.table[i] == 0 { // not present: nothing to remove
			return
		}
		i = (i + 1) & x.mask
	}
	j := i
	for {
		j = (j + 1) & x.mask
		s := x.table[j]
		if s == 0 {
			break
		}
		home := hashOf(s-1) & x.mask
		// The entry at j may move to the hole at i unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			x.table[i] = s
			i = j
		}
	}
	x.table[i] = 0
	x.n--
}

// hashKey is FNV-1a over the key, started from a seed and finished with the MurmurHash3 64-bit
// mixer so that low bits (the bucket) depend on every input bit.
func hashKey(seed uint64, key string) uint32 {
	h := seed ^ 0xcbf29ce484222325
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 0x100000001b3
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return uint32(h)
}
