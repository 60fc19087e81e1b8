package device

import (
	"errors"
	"strconv"

	"github.com/fleetkit/fleetkit/twin"
)

// RejectedError is a request the cloud service refused, with its reason as sent by twin/cloud.
// It wraps ErrRejected, and twin.ErrConflict for a 409.
type RejectedError struct {
	Op      string // get, update or delete
	Code    int    // 400, 403, 404, 409, 500
	Rule    string // the service's rule, e.g. "limit", "forbidden", "conflict"
	Detail  string // the limit rule for "limit"
	Path    string // where, e.g. "reported.network.wifi.ssid"
	Message string
}

// Error describes the failure: what, where and the rule broken.
func (e *RejectedError) Error() string {
	s := "twin/device: " + e.Op + " rejected (" + strconv.Itoa(e.Code) + " " + e.Rule
	if e.Detail != "" {
		s += " " + e.Detail
	}
	s += ")"
	if e.Path != "" {
		s += " at " + e.Path
	}
	return s + ": " + e.Message
}

// Unwrap returns ErrRejected, plus twin.ErrConflict for a conflict.
func (e *RejectedError) Unwrap() []error {
	if e.Code == 409 {
		return []error{ErrRejected, twin.ErrConflict}
	}
	return []error{ErrRejected}
}

// response is a decoded service response.
type response struct {
	accepted       bool
	version        uint64
	desiredVersion uint64
	doc            *twin.Document // get only
	rej            *RejectedError
}

// decodeResponse reads {"status":...,"version":N,"desiredVersion":D,"document":{...},"error":{...}}.
func decodeResponse(op string, body []byte, lim twin.Limits) (response, error) {
	var r response
	v, err := twin.ParseObject(body, twin.Limits{MaxDocumentBytes: 8*max(lim.MaxDocumentBytes, 32768) + 8192, MaxDepth: max(lim.MaxDepth, 10) + 6, MaxKeys: 16 * max(lim.MaxKeys, 1024)})
	if err != nil {
		return r, errors.Join(errBadResponse, err)
	}
	st, _ := v.Lookup("status")
	status, _ := st.AsString()
	if n, ok := v.Lookup("version"); ok {
		r.version, _ = n.AsUint64()
	}
	if n, ok := v.Lookup("desiredVersion"); ok {
		r.desiredVersion, _ = n.AsUint64()
	}
	switch status {
	case "accepted":
		r.accepted = true
		if d, ok := v.Lookup("document"); ok {
			doc, err := twin.ParseDocument([]byte(d.String()), lim)
			if err != nil {
				return r, errors.Join(errBadResponse, err)
			}
			r.doc = doc
		}
		return r, nil
	case "rejected":
		e, _ := v.Lookup("error")
		rej := &RejectedError{Op: op}
		if c, ok := e.Lookup("code"); ok {
			n, _ := c.AsInt64()
			rej.Code = int(n)
		}
		str := func(k string) string { x, _ := e.Lookup(k); s, _ := x.AsString(); return s }
		rej.Rule, rej.Detail, rej.Path, rej.Message = str("rule"), str("detail"), str("path"), str("message")
		r.rej = rej
		return r, nil
	}
	return r, errors.Join(errBadResponse, errors.New("status is neither accepted nor rejected"))
}

// appendUpdate encodes an update request: {"state":{"reported":patch},"stamps":{...},"acks":{...}}.
func appendUpdate(dst []byte, patch, stamps twin.Value, acks []twin.Ack) []byte {
	dst = append(dst, `{"state":{"reported":`...)
	dst = patch.AppendJSON(dst)
	dst = append(dst, '}')
	if stamps.Kind() == twin.Object && len(stamps.Members()) > 0 && len(patch.Members()) > 0 {
		dst = append(dst, `,"stamps":`...)
		dst = stamps.AppendJSON(dst)
	}
	if len(acks) > 0 {
		dst = append(dst, `,"acks":{`...)
		for i, a := range acks {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = twin.StringOf(a.Property).AppendJSON(dst)
			dst = append(dst, `:{"ac":`...)
			dst = strconv.AppendInt(dst, int64(a.Code), 10)
			dst = append(dst, `,"av":`...)
			dst = strconv.AppendUint(dst, a.Version, 10)
			dst = append(dst, `,"ad":`...)
			dst = twin.StringOf(a.Description).AppendJSON(dst)
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// delta is a decoded delta message.
type delta struct {
	version uint64
	state   twin.Value
}

// DecodeDelta decodes a delta message published by twin/cloud (the AWS delta shape,
// {"state":{...},"metadata":{...},"version":N,"timestamp":ms}) and returns its version and
// state. Anything else fails with an error naming the member.
func DecodeDelta(body []byte, lim twin.Limits) (version uint64, state twin.Value, err error) {
	d, err := decodeDelta(body, lim)
	return d.version, d.state, err
}

func decodeDelta(body []byte, lim twin.Limits) (delta, error) {
	var d delta
	v, err := twin.ParseObject(body, twin.Limits{MaxDocumentBytes: 3*max(lim.MaxDocumentBytes, 32768) + 1024, MaxDepth: max(lim.MaxDepth, 10) + 4, MaxKeys: 4 * max(lim.MaxKeys, 1024)})
	if err != nil {
		return d, err
	}
	n, ok := v.Lookup("version")
	if !ok {
		return d, errors.New("twin/device: delta: version is missing")
	}
	if d.version, ok = n.AsUint64(); !ok || d.version == 0 {
		return d, errors.New("twin/device: delta: version must be a positive integer, got " + n.String())
	}
	s, ok := v.Lookup("state")
	if !ok || s.Kind() != twin.Object {
		return d, errors.New("twin/device: delta: state must be an object")
	}
	d.state = s
	return d, nil
}
