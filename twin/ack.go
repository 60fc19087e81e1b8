package twin

import (
	"slices"
	"strconv"
	"strings"
)

// mergeAcks returns d's acknowledgements with in applied (replacing per property), whether any
// changed, or an error when an ack is invalid or the result breaks the limits.
func (d *Document) mergeAcks(in []Ack, lim Limits) ([]Ack, bool, error) {
	out := append([]Ack(nil), d.acks...)
	changed := false
	for i, a := range in {
		where := "acks[" + strconv.Itoa(i) + "]"
		switch {
		case a.Property == "":
			return nil, false, invalidUpdate(where + ": property is empty")
		case len(a.Property) > lim.MaxKeyLength:
			return nil, false, &LimitError{Rule: RuleKeyLength, Limit: lim.MaxKeyLength, Actual: len(a.Property), Path: "ack." + Path{a.Property}.String(), Offset: -1}
		case a.Version > d.desiredVersion:
			return nil, false, invalidUpdate(where + ": acknowledges desired version " + strconv.FormatUint(a.Version, 10) +
				" but the desired section is at version " + strconv.FormatUint(d.desiredVersion, 10))
		}
		for _, b := range in[:i] {
			if b.Property == a.Property {
				return nil, false, invalidUpdate(where + ": property " + strconv.Quote(a.Property) + " acknowledged twice")
			}
		}
		j, found := findAck(out, a.Property)
		if found {
			if out[j] != a {
				out[j] = a
				changed = true
			}
			continue
		}
		out = slices.Insert(out, j, a)
		changed = true
	}
	if len(out) > lim.MaxKeys {
		return nil, false, &LimitError{Rule: RuleKeys, Limit: lim.MaxKeys, Actual: len(out), Path: "ack", Offset: -1}
	}
	if n := len(appendAcks(nil, out)); n > lim.MaxDocumentBytes {
		return nil, false, &LimitError{Rule: RuleDocumentBytes, Limit: lim.MaxDocumentBytes, Actual: n, Path: "ack", Offset: -1}
	}
	return out, changed, nil
}

func findAck(acks []Ack, property string) (int, bool) {
	return slices.BinarySearchFunc(acks, property, func(a Ack, p string) int { return strings.Compare(a.Property, p) })
}

// appendAcks appends the acks as a JSON object: {"prop":{"ac":200,"av":3,"ad":"applied"}}.
func appendAcks(dst []byte, acks []Ack) []byte {
	dst = append(dst, '{')
	for i, a := range acks {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, a.Property)
		dst = append(dst, `:{"ac":`...)
		dst = strconv.AppendInt(dst, int64(a.Code), 10)
		dst = append(dst, `,"av":`...)
		dst = strconv.AppendUint(dst, a.Version, 10)
		dst = append(dst, `,"ad":`...)
		dst = appendString(dst, a.Description)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}
