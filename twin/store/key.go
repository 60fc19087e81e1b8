package store

import "strconv"

// MaxKeyLength bounds a device ID or twin name, in bytes.
const MaxKeyLength = 128

// KeyError says which part of a key broke which rule.
type KeyError struct {
	Field string // "device" or "name"
	Value string
	Index int // byte offset of the offending character, or -1
	Rule  string
}

// Error describes the failure: what, where and the rule broken.
func (e *KeyError) Error() string {
	s := "store: invalid " + e.Field + " " + strconv.Quote(e.Value) + ": " + e.Rule
	if e.Index >= 0 {
		s += " (byte offset " + strconv.Itoa(e.Index) + ")"
	}
	return s
}

// Unwrap returns ErrInvalidKey.
func (e *KeyError) Unwrap() error { return ErrInvalidKey }

// ValidateKey checks a (device, name) key: the device is 1 to 128 bytes and the name 0 to 128
// bytes of ASCII letters, digits and -_.:@, neither starting with '.'. It returns a *KeyError.
func ValidateKey(device, name string) error {
	if device == "" {
		return &KeyError{Field: "device", Value: device, Index: -1, Rule: "must not be empty"}
	}
	if err := validatePart("device", device); err != nil {
		return err
	}
	if name == "" {
		return nil
	}
	if name == unnamed {
		return &KeyError{Field: "name", Value: name, Index: 0, Rule: `"_" is reserved for the unnamed twin`}
	}
	return validatePart("name", name)
}

// unnamed is how the classic (unnamed) twin is stored.
const unnamed = "_"

func validatePart(field, s string) error {
	if len(s) > MaxKeyLength {
		return &KeyError{Field: field, Value: s, Index: -1, Rule: "longer than 128 bytes"}
	}
	if s[0] == '.' {
		return &KeyError{Field: field, Value: s, Index: 0, Rule: "must not start with '.'"}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '@':
		default:
			return &KeyError{Field: field, Value: s, Index: i, Rule: "may contain only ASCII letters, digits and -_.:@"}
		}
	}
	return nil
}
