package transport

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateTopic(t *testing.T) {
	tests := []struct {
		topic string
		ok    bool
		rule  string
	}{
		{"a", true, ""},
		{"fk/v1/dev-1/tlm", true, ""},
		{"a//b", true, ""},
		{"/", true, ""},
		{"", false, "empty"},
		{"a/+/b", false, "wildcards"},
		{"a/#", false, "wildcards"},
		{"$SYS/x", false, "reserved"},
		{"a\x00b", false, "NUL"},
		{"a\xffb", false, "UTF-8"},
		{strings.Repeat("x", MaxTopicLength+1), false, "65535"},
	}
	for _, tt := range tests {
		err := ValidateTopic(tt.topic)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateTopic(%.20q) = %v, want ok=%v", tt.topic, err, tt.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidTopic) {
				t.Errorf("ValidateTopic(%.20q) error %v does not match ErrInvalidTopic", tt.topic, err)
			}
			if !strings.Contains(err.Error(), tt.rule) {
				t.Errorf("ValidateTopic(%.20q) error %q does not name rule %q", tt.topic, err, tt.rule)
			}
		}
	}
}

func TestValidateFilter(t *testing.T) {
	tests := []struct {
		filter string
		ok     bool
		offset int
	}{
		{"#", true, 0},
		{"+", true, 0},
		{"a/+/c", true, 0},
		{"a/#", true, 0},
		{"+/+/#", true, 0},
		{"$share/g/fk/v1/+/tlm", true, 0},
		{"$SYS/#", true, 0},
		{"a/b#", false, 3},
		{"a/#/c", false, 2},
		{"a+/b", false, 1},
		{"a/+b", false, 2},
		{"$share//a", false, 7},
		{"$share/g/", false, 9},
		{"$share/g+/a", false, 8},
		{"$share/g", false, -1},
		{"", false, -1},
	}
	for _, tt := range tests {
		err := ValidateFilter(tt.filter)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateFilter(%q) = %v, want ok=%v", tt.filter, err, tt.ok)
			continue
		}
		var te *TopicError
		if err != nil && (!errors.As(err, &te) || te.Offset != tt.offset) {
			t.Errorf("ValidateFilter(%q) = %v, want offset %d", tt.filter, err, tt.offset)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		{"a/b/c", "a/b/c", true},
		{"a/b/c", "a/b", false},
		{"a/b", "a/b/c", false},
		{"a/+/c", "a/b/c", true},
		{"a/+/c", "a//c", true},
		{"a/+", "a", false},
		{"a/+", "a/", true},
		{"+/+", "/finance", true},
		{"/+", "/finance", true},
		{"+", "/finance", false},
		{"a/#", "a", true},
		{"a/#", "a/b/c/d", true},
		{"#", "a/b", true},
		{"#", "$SYS/uptime", false},
		{"+/monitor/Clients", "$SYS/monitor/Clients", false},
		{"$SYS/#", "$SYS/monitor/Clients", true},
		{"$SYS/monitor/+", "$SYS/monitor/Clients", true},
		{"sport/tennis/player1/#", "sport/tennis/player1", true},
		{"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
		{"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
		{"sport/+", "sport", false},
		{"sport/+", "sport/", true},
		{"$share/cloud/fk/v1/+/tlm", "fk/v1/d1/tlm", true},
		{"$share/cloud/fk/v1/+/tlm", "fk/v1/d1/cmd", false},
		{"a", "", false},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := Match(tt.filter, tt.topic); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.filter, tt.topic, got, tt.want)
		}
	}
}

// matchRef is an independent reference: split both into levels and compare.
func matchRef(filter, topic string) bool {
	if _, rest, ok := SplitShared(filter); ok {
		filter = rest
	}
	if topic == "" || filter == "" {
		return false
	}
	if topic[0] == '$' && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	f := strings.Split(filter, "/")
	tp := strings.Split(topic, "/")
	for i, fl := range f {
		if fl == "#" && i == len(f)-1 {
			return true
		}
		if i >= len(tp) {
			return false
		}
		if fl != "+" && fl != tp[i] {
			return false
		}
	}
	return len(f) == len(tp)
}

func FuzzMatch(f *testing.F) {
	f.Add("a/+/c", "a/b/c")
	f.Add("a/#", "a")
	f.Add("#", "$SYS/x")
	f.Add("$share/g/+/x", "y/x")
	f.Add("+/+", "/")
	f.Fuzz(func(t *testing.T, filter, topic string) {
		if ValidateFilter(filter) != nil || ValidateTopic(topic) != nil {
			_ = Match(filter, topic) // must not panic on invalid input either
			return
		}
		if got, want := Match(filter, topic), matchRef(filter, topic); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", filter, topic, got, want)
		}
		if ValidateFilter(topic) != nil {
			t.Fatalf("a valid topic name %q is not a valid filter", topic)
		}
		if !Match(topic, topic) {
			t.Fatalf("topic %q does not match itself as a filter", topic)
		}
	})
}
