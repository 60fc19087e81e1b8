package cloud

import (
	"errors"
	"strconv"

	"github.com/fleetkit/fleetkit/twin"
)

// Operations: the last topic level of a request, fk/v1/{device}/twin/{name}/{op}.
const (
	OpGet    = "get"
	OpUpdate = "update"
	OpDelete = "delete"
	// OpDelta is the topic level the service publishes deltas on (to the device).
	OpDelta = "delta"
	// OpChanged is the topic level of document-changed notifications (for cloud subscribers).
	OpChanged = "changed"
)

// Request is a decoded device request body.
type Request struct {
	Op          string
	ClientToken string
	// Device, when the body names one, must be the device of the topic.
	Device string
	// HasVersion makes the request a compare-and-set at Version.
	HasVersion bool
	Version    uint64
	// Desired and Reported are the merge patches of an update (null when absent).
	Desired, Reported twin.Value
	// Acks are the acknowledgements of an update.
	Acks []twin.Ack
	// Stamps are the per-leaf write times of Reported (twin.Update.Stamps), null when absent.
	Stamps twin.Value
}

// RequestError says which member of a request body is wrong and why. It wraps ErrBadRequest.
type RequestError struct {
	Path string // e.g. "state.reported", "acks.led.av", "" for the whole body
	Msg  string
}

// Error describes the failure: what, where and the rule broken.
func (e *RequestError) Error() string {
	if e.Path == "" {
		return "twin/cloud: bad request: " + e.Msg
	}
	return "twin/cloud: bad request: " + e.Path + ": " + e.Msg
}

// Unwrap returns ErrBadRequest.
func (e *RequestError) Unwrap() error { return ErrBadRequest }

// bodyLimits are the limits a whole request body is parsed under: room for one section patch at
// lim plus acknowledgements and the envelope. The patch itself is then held to lim by Apply.
func bodyLimits(lim twin.Limits) twin.Limits {
	l := lim
	if l.MaxDocumentBytes == 0 {
		l.MaxDocumentBytes = 32768
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = 10
	}
	if l.MaxKeys == 0 {
		l.MaxKeys = 1024
	}
	return twin.Limits{
		MaxDocumentBytes: 2*l.MaxDocumentBytes + 4096,
		MaxDepth:         l.MaxDepth + 2,
		MaxKeyLength:     lim.MaxKeyLength,
		MaxKeys:          2*l.MaxKeys + 16,
	}
}

// DecodeRequest decodes the body of a request for op under lim. An empty body is an empty
// request (valid for get and delete). The body is strict JSON (no duplicate keys, UTF-8):
//
//	{"clientToken":"t","device":"d","version":3,
//	 "state":{"reported":{...}},"stamps":{...},"acks":{"prop":{"ac":200,"av":3,"ad":"applied"}}}
//
// "stamps" (optional) gives the Unix-millisecond time each reported leaf was written, shaped
// like state.reported (twin.Update.Stamps).
//
// Unknown members, mistyped members, "state" or "acks" on get/delete fail with a *RequestError
// (ErrBadRequest); invalid JSON with twin.ErrSyntax, a body breaking the limits with
// twin.ErrLimit — each naming the path.
func DecodeRequest(op string, body []byte, lim twin.Limits) (Request, error) {
	r := Request{Op: op}
	if op != OpGet && op != OpUpdate && op != OpDelete {
		return r, &RequestError{Msg: "unknown operation " + strconv.Quote(op) + " (want get, update or delete)"}
	}
	if len(body) == 0 {
		if op == OpUpdate {
			return r, &RequestError{Path: "state", Msg: "an update needs a body with state or acks"}
		}
		return r, nil
	}
	v, err := twin.ParseObject(body, bodyLimits(lim))
	if err != nil {
		return r, err
	}
	for _, m := range v.Members() {
		switch m.Key {
		case "clientToken":
			s, ok := m.Value.AsString()
			if !ok {
				return r, &RequestError{Path: "clientToken", Msg: "must be a string, got " + m.Value.Kind().String()}
			}
			if len(s) > 64 {
				return r, &RequestError{Path: "clientToken", Msg: "longer than 64 bytes"}
			}
			r.ClientToken = s
		case "device":
			s, ok := m.Value.AsString()
			if !ok {
				return r, &RequestError{Path: "device", Msg: "must be a string, got " + m.Value.Kind().String()}
			}
			r.Device = s
		case "version":
			n, ok := m.Value.AsUint64()
			if !ok {
				return r, &RequestError{Path: "version", Msg: "must be an unsigned integer, got " + m.Value.String()}
			}
			r.HasVersion, r.Version = true, n
		case "state":
			if op != OpUpdate {
				return r, &RequestError{Path: "state", Msg: "only an update carries state"}
			}
			if m.Value.Kind() != twin.Object {
				return r, &RequestError{Path: "state", Msg: "must be an object, got " + m.Value.Kind().String()}
			}
			for _, s := range m.Value.Members() {
				if s.Value.Kind() != twin.Object {
					return r, &RequestError{Path: "state." + s.Key, Msg: "a patch must be an object (RFC 7396 section replacement is not allowed), got " + s.Value.Kind().String()}
				}
				switch s.Key {
				case "desired":
					r.Desired = s.Value
				case "reported":
					r.Reported = s.Value
				default:
					return r, &RequestError{Path: "state." + s.Key, Msg: "unknown section (want desired or reported)"}
				}
			}
		case "stamps":
			if op != OpUpdate {
				return r, &RequestError{Path: "stamps", Msg: "only an update carries stamps"}
			}
			if m.Value.Kind() != twin.Object {
				return r, &RequestError{Path: "stamps", Msg: "must be an object shaped like state.reported, got " + m.Value.Kind().String()}
			}
			r.Stamps = m.Value
		case "acks":
			if op != OpUpdate {
				return r, &RequestError{Path: "acks", Msg: "only an update carries acks"}
			}
			acks, err := decodeAcks(m.Value)
			if err != nil {
				return r, err
			}
			r.Acks = acks
		default:
			return r, &RequestError{Path: m.Key, Msg: "unknown member"}
		}
	}
	if op == OpUpdate && r.Desired.IsNull() && r.Reported.IsNull() && len(r.Acks) == 0 {
		return r, &RequestError{Path: "state", Msg: "an update needs state.desired, state.reported or acks"}
	}
	return r, nil
}

func decodeAcks(v twin.Value) ([]twin.Ack, error) {
	if v.Kind() != twin.Object {
		return nil, &RequestError{Path: "acks", Msg: "must be an object keyed by property, got " + v.Kind().String()}
	}
	var out []twin.Ack
	for _, m := range v.Members() {
		p := "acks." + m.Key
		if m.Value.Kind() != twin.Object {
			return nil, &RequestError{Path: p, Msg: "must be an object {ac, av, ad}, got " + m.Value.Kind().String()}
		}
		a := twin.Ack{Property: m.Key}
		var haveCode, haveVersion bool
		for _, f := range m.Value.Members() {
			switch f.Key {
			case "ac":
				n, ok := f.Value.AsInt64()
				if !ok || n < 100 || n > 999 {
					return nil, &RequestError{Path: p + ".ac", Msg: "must be a status code 100..999, got " + f.Value.String()}
				}
				a.Code, haveCode = int(n), true
			case "av":
				n, ok := f.Value.AsUint64()
				if !ok {
					return nil, &RequestError{Path: p + ".av", Msg: "must be an unsigned integer, got " + f.Value.String()}
				}
				a.Version, haveVersion = n, true
			case "ad":
				s, ok := f.Value.AsString()
				if !ok {
					return nil, &RequestError{Path: p + ".ad", Msg: "must be a string, got " + f.Value.Kind().String()}
				}
				a.Description = s
			default:
				return nil, &RequestError{Path: p + "." + f.Key, Msg: "unknown member (want ac, av, ad)"}
			}
		}
		if !haveCode || !haveVersion {
			return nil, &RequestError{Path: p, Msg: "ac and av are required"}
		}
		out = append(out, a)
	}
	return out, nil
}

// Reasons a request is rejected: the "rule" of a rejected response.
const (
	RuleBadRequest = "bad-request" // malformed body (RequestError)
	RuleSyntax     = "syntax"      // invalid JSON
	RuleLimit      = "limit"       // a twin limit; Detail names which (size, depth, key-length, keys)
	RuleNotObject  = "not-object"  // a patch that is not an object
	RuleInvalid    = "invalid"     // twin.ErrInvalidUpdate (e.g. an ack above the desired version)
	RuleConflict   = "conflict"    // stale expected version
	RuleNotFound   = "not-found"   // no such twin
	RuleForbidden  = "forbidden"   // the body names another device, or a device wrote desired
	RuleTopic      = "topic"       // a request on a topic outside the twin namespace
	RuleInternal   = "internal"    // store failure
)

// Rejection is the error part of a rejected response.
type Rejection struct {
	Code    int    // HTTP-like: 400, 403, 404, 409, 500
	Rule    string // one of the Rule constants
	Detail  string // the limit rule for RuleLimit, else ""
	Path    string // where (e.g. "reported.network.wifi.ssid"), or ""
	Message string
}

// rejection classifies err.
func rejection(err error) Rejection {
	r := Rejection{Message: err.Error()}
	var le *twin.LimitError
	var se *twin.SyntaxError
	var re *RequestError
	var de *twin.DocumentError
	switch {
	case errors.As(err, &re):
		r.Code, r.Rule, r.Path = 400, RuleBadRequest, re.Path
	case errors.As(err, &le):
		r.Code, r.Rule, r.Detail, r.Path = 400, RuleLimit, string(le.Rule), le.Path
	case errors.As(err, &se):
		r.Code, r.Rule, r.Path = 400, RuleSyntax, se.Path
	case errors.Is(err, ErrForbidden):
		r.Code, r.Rule = 403, RuleForbidden
	case errors.Is(err, twin.ErrNotObject):
		r.Code, r.Rule = 400, RuleNotObject
	case errors.Is(err, twin.ErrConflict):
		r.Code, r.Rule = 409, RuleConflict
	case errors.Is(err, ErrNotFound):
		r.Code, r.Rule = 404, RuleNotFound
	case errors.Is(err, twin.ErrInvalidUpdate), errors.Is(err, twin.ErrNumber):
		r.Code, r.Rule = 400, RuleInvalid
	case errors.Is(err, ErrBadTopic):
		r.Code, r.Rule = 400, RuleTopic
	case errors.As(err, &de):
		r.Code, r.Rule, r.Path = 500, RuleInternal, de.Path
	default:
		r.Code, r.Rule = 500, RuleInternal
	}
	return r
}

// appendRejected encodes {"status":"rejected","clientToken":..,"version":N,"error":{...}}.
func appendRejected(dst []byte, token string, version uint64, r Rejection) []byte {
	dst = append(dst, `{"status":"rejected"`...)
	dst = appendToken(dst, token)
	if version > 0 {
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendUint(dst, version, 10)
	}
	dst = append(dst, `,"error":{"code":`...)
	dst = strconv.AppendInt(dst, int64(r.Code), 10)
	dst = append(dst, `,"rule":`...)
	dst = twin.StringOf(r.Rule).AppendJSON(dst)
	if r.Detail != "" {
		dst = append(dst, `,"detail":`...)
		dst = twin.StringOf(r.Detail).AppendJSON(dst)
	}
	if r.Path != "" {
		dst = append(dst, `,"path":`...)
		dst = twin.StringOf(r.Path).AppendJSON(dst)
	}
	dst = append(dst, `,"message":`...)
	dst = twin.StringOf(r.Message).AppendJSON(dst)
	return append(dst, "}}"...)
}

// appendAccepted encodes {"status":"accepted","clientToken":..,"version":N,"desiredVersion":D[,"document":{...}]}.
func appendAccepted(dst []byte, token string, doc *twin.Document, withDoc bool) []byte {
	dst = append(dst, `{"status":"accepted"`...)
	dst = appendToken(dst, token)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendUint(dst, doc.Version(), 10)
	dst = append(dst, `,"desiredVersion":`...)
	dst = strconv.AppendUint(dst, doc.DesiredVersion(), 10)
	if withDoc {
		dst = append(dst, `,"document":`...)
		dst = doc.AppendJSON(dst)
	}
	return append(dst, '}')
}

func appendToken(dst []byte, token string) []byte {
	if token == "" {
		return dst
	}
	dst = append(dst, `,"clientToken":`...)
	return twin.StringOf(token).AppendJSON(dst)
}

// appendChanged encodes a document-changed notification:
// {"device":..,"name":..,"section":"desired"|"reported"|"deleted","version":N,"document":{...}}.
func appendChanged(dst []byte, device, name, section string, doc *twin.Document) []byte {
	dst = append(dst, `{"device":`...)
	dst = twin.StringOf(device).AppendJSON(dst)
	dst = append(dst, `,"name":`...)
	dst = twin.StringOf(name).AppendJSON(dst)
	dst = append(dst, `,"section":`...)
	dst = twin.StringOf(section).AppendJSON(dst)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendUint(dst, doc.Version(), 10)
	if section != "deleted" {
		dst = append(dst, `,"document":`...)
		dst = doc.AppendJSON(dst)
	}
	return append(dst, '}')
}
