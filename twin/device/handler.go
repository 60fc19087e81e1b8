package device

import "github.com/fleetkit/fleetkit/twin"

// TypeError says a desired value has the wrong JSON type for a typed handler. It wraps ErrType;
// its text becomes the acknowledgement's description (code 400).
type TypeError struct {
	Want string    // "string", "bool", "int64", "float64"
	Got  twin.Kind // the kind received
	Val  string    // the value received, as JSON (truncated to 64 bytes)
}

// Error describes the failure: what, where and the rule broken.
func (e *TypeError) Error() string {
	return "want " + e.Want + ", got " + e.Got.String() + " " + e.Val
}

// Unwrap returns ErrType.
func (e *TypeError) Unwrap() error { return ErrType }

func typeErr(want string, v twin.Value) error {
	s := v.String()
	if len(s) > 64 {
		s = s[:61] + "..."
	}
	return &TypeError{Want: want, Got: v.Kind(), Val: s}
}

// HandleString registers a handler for a string desired value; any other type is refused with
// a *TypeError (acknowledged 400).
func (c *Client) HandleString(path string, h func(string) error) error {
	return c.Handle(path, func(v twin.Value) error {
		s, ok := v.AsString()
		if !ok {
			return typeErr("string", v)
		}
		return h(s)
	})
}

// HandleBool registers a handler for a boolean desired value.
func (c *Client) HandleBool(path string, h func(bool) error) error {
	return c.Handle(path, func(v twin.Value) error {
		b, ok := v.AsBool()
		if !ok {
			return typeErr("bool", v)
		}
		return h(b)
	})
}

// HandleInt registers a handler for a desired number written as an integer that fits an int64
// (2.0, 2e0 and 2.5 are refused with a *TypeError).
func (c *Client) HandleInt(path string, h func(int64) error) error {
	return c.Handle(path, func(v twin.Value) error {
		n, ok := v.AsInt64()
		if !ok {
			return typeErr("int64", v)
		}
		return h(n)
	})
}

// HandleFloat registers a handler for a numeric desired value, converted to float64.
func (c *Client) HandleFloat(path string, h func(float64) error) error {
	return c.Handle(path, func(v twin.Value) error {
		f, ok := v.AsFloat64()
		if !ok {
			return typeErr("float64", v)
		}
		return h(f)
	})
}
