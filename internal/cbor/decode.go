package cbor

import (
	"math"
)

// DefaultMaxDepth is the nesting limit [Decoder.Skip] applies when [Options.MaxDepth] is zero.
const DefaultMaxDepth = 32

// Indefinite is the count [Decoder.ReadArrayHeader] and [Decoder.ReadMapHeader] return for an
// indefinite-length array or map; its items end with a "break" ([Decoder.ReadBreak]).
const Indefinite = -1

// Options selects the checks a [Decoder] applies beyond well-formedness. The zero value accepts
// every well-formed item and nests up to [DefaultMaxDepth] levels.
type Options struct {
	// RejectIndefinite refuses indefinite-length strings, arrays and maps with [ErrIndefinite]
	// (required by RFC 8949 §4.2.1 deterministic encoding).
	RejectIndefinite bool
	// RequireShortest refuses heads whose argument is not in its shortest form with
	// [ErrNonShortest] (RFC 8949 §4.2.1). It applies to heads, not to the width of floats.
	RequireShortest bool
	// MaxDepth limits how deeply [Decoder.Skip] and [Decoder.ReadRaw] follow nested arrays, maps
	// and tags; zero means [DefaultMaxDepth].
	MaxDepth int
}

// Deterministic is the option set for RFC 8949 §4.2.1 deterministic input: no indefinite-length
// items and shortest-form heads.
var Deterministic = Options{RejectIndefinite: true, RequireShortest: true}

// Head is one decoded item head.
type Head struct {
	// Major is the major type.
	Major Major
	// Info is the 5-bit additional information (0–31). For major type 7 it tells a simple value
	// (< 25) from float16 (25), float32 (26) and float64 (27).
	Info uint8
	// Arg is the argument: the value, length, count, tag number, simple value or float bits.
	// It is zero when Indefinite is set.
	Arg uint64
	// Indefinite is set for an indefinite-length string, array or map head, and for "break".
	Indefinite bool
}

// IsBreak reports whether h is the "break" stop code (0xff).
func (h Head) IsBreak() bool { return h.Major == MajorSimple && h.Info == 31 }

// Decoder reads CBOR items from a byte slice. It never allocates except to build an error, and
// never modifies the input. A Decoder is a small value: keep it on the stack.
type Decoder struct {
	data []byte
	off  int
	opts Options
}

// NewDecoder returns a decoder over data with the given options.
func NewDecoder(data []byte, opts Options) Decoder {
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	return Decoder{data: data, opts: opts}
}

// Offset returns the offset of the next unread byte.
func (d *Decoder) Offset() int { return d.off }

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.data) - d.off }

// Done reports whether every byte has been read.
func (d *Decoder) Done() bool { return d.off >= len(d.data) }

// Finish returns an [ErrTrailing] error when unread bytes remain, and nil otherwise.
func (d *Decoder) Finish() error {
	if d.off < len(d.data) {
		return newError(d.off, ErrTrailing, "")
	}
	return nil
}

// PeekHead decodes the next head without consuming it. It applies the same checks as
// [Decoder.ReadHead].
func (d *Decoder) PeekHead() (Head, error) {
	h, _, err := d.head()
	return h, err
}

// ReadHead decodes and consumes the next head. For a definite-length byte or text string only
// the head is consumed; the content follows. The head is checked for well-formedness, for the
// options, and for a length or count that exceeds the remaining input.
func (d *Decoder) ReadHead() (Head, error) {
	h, n, err := d.head()
	if err != nil {
		return h, err
	}
	d.off += n
	return h, nil
}

// head decodes the head at d.off and returns it with its encoded size.
func (d *Decoder) head() (Head, int, error) {
	off := d.off
	if off >= len(d.data) {
		return Head{}, 0, newError(off, ErrTruncated, "")
	}
	ib := d.data[off]
	h := Head{Major: Major(ib >> 5), Info: ib & 0x1f}
	n := 1
	switch {
	case h.Info < 24:
		h.Arg = uint64(h.Info)
	case h.Info <= 27:
		w := 1 << (h.Info - 24)
		if len(d.data)-off-1 < w {
			return h, 0, newError(off, ErrTruncated, "head argument")
		}
		b := d.data[off+1 : off+1+w]
		var v uint64
		for _, c := range b {
			v = v<<8 | uint64(c)
		}
		h.Arg = v
		n += w
		if h.Major == MajorSimple {
			if h.Info == 24 && v < 32 {
				return h, 0, newError(off, ErrMalformed, "two-byte simple value below 32")
			}
		} else if d.opts.RequireShortest && !shortest(h.Info, v) {
			return h, 0, newError(off, ErrNonShortest, "")
		}
	case h.Info < 31:
		return h, 0, newError(off, ErrMalformed, "reserved additional information")
	default: // 31
		switch h.Major {
		case MajorUint, MajorNegInt, MajorTag:
			return h, 0, newError(off, ErrMalformed, "indefinite length on "+h.Major.String())
		case MajorSimple:
			h.Indefinite = true // break
			return h, n, nil
		}
		if d.opts.RejectIndefinite {
			return h, 0, newError(off, ErrIndefinite, h.Major.String())
		}
		h.Indefinite = true
		return h, n, nil
	}
	rem := uint64(len(d.data) - off - n)
	switch h.Major {
	case MajorBytes, MajorText, MajorArray:
		if h.Arg > rem {
			return h, 0, newError(off, ErrLength, h.Major.String())
		}
	case MajorMap:
		if h.Arg > rem/2 {
			return h, 0, newError(off, ErrLength, "map")
		}
	case MajorTag:
		if rem == 0 {
			return h, 0, newError(off, ErrTruncated, "tag content")
		}
	}
	return h, n, nil
}

func shortest(info uint8, v uint64) bool {
	switch info {
	case 24:
		return v >= 24
	case 25:
		return v > math.MaxUint8
	case 26:
		return v > math.MaxUint16
	case 27:
		return v > math.MaxUint32
	}
	return true
}

// expect reads a head of major type m, leaving the decoder unchanged on error.
func (d *Decoder) expect(m Major) (Head, int, error) {
	h, n, err := d.head()
	if err != nil {
		return h, 0, err
	}
	if h.Major != m || h.IsBreak() {
		return h, 0, newError(d.off, ErrType, "want "+m.String()+", got "+describe(h))
	}
	return h, n, nil
}

func describe(h Head) string {
	if h.Major != MajorSimple {
		return h.Major.String()
	}
	switch {
	case h.Info == 31:
		return "break"
	case h.Info >= 25:
		return "float"
	case h.Arg == SimpleFalse || h.Arg == SimpleTrue:
		return "bool"
	case h.Arg == SimpleNull:
		return "null"
	case h.Arg == SimpleUndefined:
		return "undefined"
	}
	return "simple value"
}

// ReadUint reads an unsigned integer (major type 0).
func (d *Decoder) ReadUint() (uint64, error) {
	h, n, err := d.expect(MajorUint)
	if err != nil {
		return 0, err
	}
	d.off += n
	return h.Arg, nil
}

// ReadInt reads an unsigned or negative integer that fits an int64; a larger magnitude fails
// with [ErrOverflow].
func (d *Decoder) ReadInt() (int64, error) {
	h, n, err := d.head()
	if err != nil {
		return 0, err
	}
	switch h.Major {
	case MajorUint:
		if h.Arg > math.MaxInt64 {
			return 0, newError(d.off, ErrOverflow, "above int64")
		}
		d.off += n
		return int64(h.Arg), nil
	case MajorNegInt:
		if h.Arg > math.MaxInt64 {
			return 0, newError(d.off, ErrOverflow, "below int64")
		}
		d.off += n
		return -1 - int64(h.Arg), nil
	}
	return 0, newError(d.off, ErrType, "want integer, got "+describe(h))
}

// ReadBytes reads a definite-length byte string and returns its content, which aliases the
// input. An indefinite-length string fails with [ErrIndefinite]: read its chunks one by one.
func (d *Decoder) ReadBytes() ([]byte, error) { return d.readString(MajorBytes) }

// ReadText reads a definite-length text string and returns its content, which aliases the
// input (convert with string() to keep it). The content is not checked for UTF-8 validity; use
// utf8.Valid where it matters. An indefinite-length string fails with [ErrIndefinite].
func (d *Decoder) ReadText() ([]byte, error) { return d.readString(MajorText) }

func (d *Decoder) readString(m Major) ([]byte, error) {
	h, n, err := d.expect(m)
	if err != nil {
		return nil, err
	}
	if h.Indefinite {
		return nil, newError(d.off, ErrIndefinite, "chunked "+m.String()+": read the chunks after ReadHead")
	}
	start := d.off + n
	end := start + int(h.Arg) // h.Arg <= remaining, checked by head
	d.off = end
	return d.data[start:end:end], nil
}

// ReadArrayHeader reads an array head and returns its item count, or [Indefinite].
func (d *Decoder) ReadArrayHeader() (int, error) { return d.readContainer(MajorArray) }

// ReadMapHeader reads a map head and returns its pair count, or [Indefinite].
func (d *Decoder) ReadMapHeader() (int, error) { return d.readContainer(MajorMap) }

func (d *Decoder) readContainer(m Major) (int, error) {
	h, n, err := d.expect(m)
	if err != nil {
		return 0, err
	}
	d.off += n
	if h.Indefinite {
		return Indefinite, nil
	}
	return int(h.Arg), nil // bounded by the input length, checked by head
}

// ReadTag reads a tag head and returns the tag number; the tagged item follows.
func (d *Decoder) ReadTag() (uint64, error) {
	h, n, err := d.expect(MajorTag)
	if err != nil {
		return 0, err
	}
	d.off += n
	return h.Arg, nil
}

// ReadFloat reads a float16, float32 or float64 and returns it as a float64 (exactly).
func (d *Decoder) ReadFloat() (float64, error) {
	h, n, err := d.expect(MajorSimple)
	if err != nil {
		return 0, err
	}
	var f float64
	switch h.Info {
	case 25:
		f = HalfToFloat64(uint16(h.Arg))
	case 26:
		f = float64(math.Float32frombits(uint32(h.Arg)))
	case 27:
		f = math.Float64frombits(h.Arg)
	default:
		return 0, newError(d.off, ErrType, "want float, got "+describe(h))
	}
	d.off += n
	return f, nil
}

// ReadBool reads true or false.
func (d *Decoder) ReadBool() (bool, error) {
	h, n, err := d.expect(MajorSimple)
	if err != nil {
		return false, err
	}
	if h.Info >= 25 || (h.Arg != SimpleFalse && h.Arg != SimpleTrue) {
		return false, newError(d.off, ErrType, "want bool, got "+describe(h))
	}
	d.off += n
	return h.Arg == SimpleTrue, nil
}

// ReadNull reads null.
func (d *Decoder) ReadNull() error {
	h, n, err := d.expect(MajorSimple)
	if err != nil {
		return err
	}
	if h.Info >= 25 || h.Arg != SimpleNull {
		return newError(d.off, ErrType, "want null, got "+describe(h))
	}
	d.off += n
	return nil
}

// AtBreak reports whether the next byte is the "break" stop code that ends an
// indefinite-length item.
func (d *Decoder) AtBreak() bool { return d.off < len(d.data) && d.data[d.off] == 0xff }

// ReadBreak consumes the "break" stop code.
func (d *Decoder) ReadBreak() error {
	if d.off >= len(d.data) {
		return newError(d.off, ErrTruncated, "want break")
	}
	if d.data[d.off] != 0xff {
		return newError(d.off, ErrType, "want break")
	}
	d.off++
	return nil
}

// Skip steps over one whole item, nested items included. On error the decoder is left where it
// was.
func (d *Decoder) Skip() error {
	start := d.off
	if err := d.skip(0); err != nil {
		d.off = start
		return err
	}
	return nil
}

// ReadRaw steps over one whole item and returns its encoded bytes (aliasing the input).
func (d *Decoder) ReadRaw() ([]byte, error) {
	start := d.off
	if err := d.Skip(); err != nil {
		return nil, err
	}
	return d.data[start:d.off:d.off], nil
}

func (d *Decoder) skip(depth int) error {
	h, n, err := d.head()
	if err != nil {
		return err
	}
	if h.IsBreak() {
		return newError(d.off, ErrMalformed, "break outside an indefinite-length item")
	}
	at := d.off
	d.off += n
	switch h.Major {
	case MajorBytes, MajorText:
		if !h.Indefinite {
			d.off += int(h.Arg)
			return nil
		}
		for !d.AtBreak() {
			c, cn, err := d.head()
			if err != nil {
				return err
			}
			if c.Major != h.Major || c.Indefinite {
				return newError(d.off, ErrMalformed, "chunk of a chunked "+h.Major.String()+" is not a definite-length "+h.Major.String())
			}
			d.off += cn + int(c.Arg)
		}
		return d.ReadBreak()
	case MajorArray, MajorMap, MajorTag:
		if depth >= d.opts.MaxDepth {
			return newError(at, ErrDepth, "")
		}
		if h.Major == MajorTag {
			return d.skip(depth + 1)
		}
		per := 1
		if h.Major == MajorMap {
			per = 2
		}
		if h.Indefinite {
			for !d.AtBreak() {
				for i := 0; i < per; i++ {
					if d.AtBreak() {
						return newError(d.off, ErrMalformed, "map ends after a key")
					}
					if err := d.skip(depth + 1); err != nil {
						return err
					}
				}
			}
			return d.ReadBreak()
		}
		for i := uint64(0); i < h.Arg*uint64(per); i++ {
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
	}
	return nil
}
