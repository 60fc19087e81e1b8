package transport

import (
	"strings"
	"unicode/utf8"
)

// MaxTopicLength is the MQTT limit on a topic name or filter, in bytes (a UTF-8 string's 16-bit length).
const MaxTopicLength = 65535

// ValidateTopic checks a topic name (what is published to) against MQTT v5 §4.7: non-empty, at most
// 65,535 bytes of valid UTF-8, no NUL, and no wildcard characters. Names starting with `$` are
// reserved for brokers ($SYS, $share) and refused too.
func ValidateTopic(topic string) error {
	if err := validateCommon(topic); err != nil {
		return err
	}
	if i := strings.IndexAny(topic, "+#"); i >= 0 {
		return &TopicError{topic, i, "wildcards are not allowed in a topic name"}
	}
	if topic[0] == '$' {
		return &TopicError{topic, 0, "topic names starting with '$' are reserved for the broker"}
	}
	return nil
}

// ValidateFilter checks a topic filter against MQTT v5 §4.7: `+` occupies a whole level, `#` a whole
// last level; a shared subscription `$share/{group}/{filter}` has a non-empty group without wildcards
// or `/` and a valid filter.
func ValidateFilter(filter string) error {
	if err := validateCommon(filter); err != nil {
		return err
	}
	f := filter
	off := 0
	if group, rest, ok, err := splitShared(filter); err != nil {
		return err
	} else if ok {
		off = len(filter) - len(rest)
		if group == "" {
			return &TopicError{filter, len("$share/"), "shared subscription needs a group name"}
		}
		if rest == "" {
			return &TopicError{filter, off, "shared subscription needs a topic filter"}
		}
		f = rest
	}
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '+':
			if (i > 0 && f[i-1] != '/') || (i+1 < len(f) && f[i+1] != '/') {
				return &TopicError{filter, off + i, "'+' must occupy a whole topic level"}
			}
		case '#':
			if i != len(f)-1 {
				return &TopicError{filter, off + i, "'#' must be the last character"}
			}
			if i > 0 && f[i-1] != '/' {
				return &TopicError{filter, off + i, "'#' must occupy a whole topic level"}
			}
		}
	}
	return nil
}

func validateCommon(s string) error {
	if s == "" {
		return &TopicError{s, -1, "must not be empty"}
	}
	if len(s) > MaxTopicLength {
		return &TopicError{s[:80], -1, "longer than 65535 bytes"}
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return &TopicError{s, i, "NUL character"}
	}
	if !utf8.ValidString(s) {
		for i, r := range s {
			if r == utf8.RuneError {
				return &TopicError{s, i, "invalid UTF-8"}
			}
		}
	}
	return nil
}

// SplitShared splits a shared subscription `$share/{group}/{filter}` into its group and filter.
// ok is false for an ordinary filter.
func SplitShared(filter string) (group, rest string, ok bool) {
	group, rest, ok, err := splitShared(filter)
	if err != nil {
		return "", "", false
	}
	return group, rest, ok
}

func splitShared(filter string) (group, rest string, ok bool, err error) {
	const p = "$share/"
	if !strings.HasPrefix(filter, p) {
		return "", "", false, nil
	}
	tail := filter[len(p):]
	i := strings.IndexByte(tail, '/')
	if i < 0 {
		return "", "", false, &TopicError{filter, -1, "shared subscription must be $share/{group}/{filter}"}
	}
	group = tail[:i]
	if j := strings.IndexAny(group, "+#"); j >= 0 {
		return "", "", false, &TopicError{filter, len(p) + j, "wildcards are not allowed in a share group name"}
	}
	return group, tail[i+1:], true, nil
}

// Match reports whether topic name matches filter (MQTT v5 §4.7). A shared-subscription filter
// matches by its inner filter. Filters starting with a wildcard do not match topics starting with
// `$` (§4.7.2). Match does not validate; invalid input simply does not match.
func Match(filter, topic string) bool {
	if _, rest, ok := SplitShared(filter); ok {
		filter = rest
	}
	if topic == "" || filter == "" {
		return false
	}
	if topic[0] == '$' && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	for {
		fl, frest, fmore := cut(filter)
		if fl == "#" && !fmore {
			return true
		}
		tl, trest, tmore := cut(topic)
		if fl != "+" && fl != tl {
			return false
		}
		if !fmore || !tmore {
			if fmore && !tmore {
				// "a/#" matches "a": the parent level.
				return frest == "#"
			}
			return fmore == tmore
		}
		filter, topic = frest, trest
	}
}

func cut(s string) (level, rest string, more bool) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
