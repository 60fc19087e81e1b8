package twin

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseRoundTrip(t *testing.T) {
	tests := []struct {
		in, out string
	}{
		{`null`, `null`},
		{` true `, `true`},
		{"\t\r\nfalse\n", `false`},
		{`0`, `0`},
		{`-0`, `-0`},
		{`12345678901234567890123456789012345678901234567890`, `12345678901234567890123456789012345678901234567890`},
		{`1.5e+300`, `1.5e+300`},
		{`-0.0E-7`, `-0.0E-7`},
		{`1e400`, `1e400`},
		{`""`, `""`},
		{`"a\"b\\c\/d\b\f\n\r\t"`, `"a\"b\\c/d\b\f\n\r\t"`},
		{`"\u0001\u001f"`, `"\u0001\u001f"`},
		{`"\u00e9\u20ac"`, `"é€"`},
		{`"\ud83d\ude00"`, `"😀"`},
		{`"😀 é"`, `"😀 é"`},
		{`[]`, `[]`},
		{`[ 1 , [ 2 , [ ] ] , {} ]`, `[1,[2,[]],{}]`},
		{`{}`, `{}`},
		{`{"b":1,"a":2,"c":{"z":null,"y":[true]}}`, `{"a":2,"b":1,"c":{"y":[true],"z":null}}`},
		{`{"":0}`, `{"":0}`},
	}
	for _, tc := range tests {
		v, err := Parse([]byte(tc.in), Limits{})
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := v.String(); got != tc.out {
			t.Errorf("Parse(%q).String() = %s, want %s", tc.in, got, tc.out)
		}
		if n := encodedLen(v); n != len(tc.out) {
			t.Errorf("encodedLen(%s) = %d, want %d", tc.out, n, len(tc.out))
		}
		again, err := Parse([]byte(tc.out), Limits{})
		if err != nil || !Equal(again, v) || again.String() != tc.out {
			t.Errorf("re-parse of %s: %v, %s", tc.out, err, again)
		}
		// The encoding is valid JSON for encoding/json too.
		if !json.Valid([]byte(tc.out)) {
			t.Errorf("encoding/json rejects %s", tc.out)
		}
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		path   string
		msg    string
	}{
		{``, 0, "", "unexpected end of input"},
		{`   `, 3, "", "unexpected end of input"},
		{`nul`, 0, "", "want null"},
		{`tru`, 0, "", "want true"},
		{`x`, 0, "", "invalid character 'x'"},
		{`01`, 1, "", "after the JSON value"},
		{`1.`, 2, "", "invalid number"},
		{`-`, 1, "", "invalid number"},
		{`1e`, 2, "", "invalid number"},
		{`+1`, 0, "", "invalid character '+'"},
		{`{"a":1,}`, 7, "", "want a string key"},
		{`[1,]`, 3, "[1]", "invalid character ']'"},
		{`[1 2]`, 3, "", "want ',' or ']'"},
		{`{"a" 1}`, 5, "a", "want ':'"},
		{`{"a":1 "b":2}`, 7, "", "want ',' or '}'"},
		{`{"a":{"b":[1,{"c":tx}]}}`, 18, "a.b[1].c", "want true"},
		{`{"a":1}x`, 7, "", "after the JSON value"},
		{`"abc`, 4, "", "unterminated string"},
		{`"a\`, 2, "", "unterminated escape"},
		{`"a\x"`, 2, "", "invalid escape 'x'"},
		{`"\u12"`, 1, "", "want 4 hex digits"},
		{`"\ud83d"`, 1, "", "lone UTF-16 surrogate"},
		{`{"net":{"ssid":"\ud800"}}`, 16, "net.ssid", "lone UTF-16 surrogate in a \\u escape"},
		{`"\ude00\ud83d"`, 1, "", "lone UTF-16 surrogate"},
		{"\"a\nb\"", 2, "", "control character"},
		{"\"a\\n\x01\"", 4, "", "control character"},
		{"\"ab\xff\"", 3, "", "invalid UTF-8"},
		{"\"\\n\xc3\"", 3, "", "invalid UTF-8"},
		{"{\"k\xfe\":1}", 3, "", "invalid UTF-8"},
		{`{"a":1,"b":2,"a":3}`, 0, "a", "duplicate key"},
		{`{"x":{"b":1,"a":2,"b":3}}`, 5, "x.b", "duplicate key"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.in), Limits{})
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", tc.in, err)
			continue
		}
		if se.Offset != tc.offset || se.Path != tc.path || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("Parse(%q) = offset %d path %q msg %q; want offset %d path %q msg containing %q",
				tc.in, se.Offset, se.Path, se.Msg, tc.offset, tc.path, tc.msg)
		}
		if errors.Is(err, ErrDuplicateKey) != strings.Contains(tc.msg, "duplicate") {
			t.Errorf("Parse(%q): errors.Is(ErrDuplicateKey) = %v", tc.in, errors.Is(err, ErrDuplicateKey))
		}
	}
}

func TestParseLimits(t *testing.T) {
	lim := Limits{MaxDocumentBytes: 64, MaxDepth: 3, MaxKeyLength: 4, MaxKeys: 5}
	tests := []struct {
		in     string
		rule   Rule
		path   string
		offset int
	}{
		{`"` + strings.Repeat("a", 70) + `"`, RuleDocumentBytes, "", 64},
		{`{"a":{"b":{"c":{}}}}`, RuleDepth, "a.b.c", 15},
		{`[[[[1]]]]`, RuleDepth, "[0][0][0]", 3},
		{`{"a":[[{"d":1}]]}`, RuleDepth, "a[0][0]", 7},
		{`{"abcde":1}`, RuleKeyLength, "abcde", 1},
		{`{"ok":{"\u0061bcde":1}}`, RuleKeyLength, "ok.abcde", 7},
		{`{"a":1,"b":2,"c":{"d":3,"e":4,"f":5}}`, RuleKeys, "c.f", 30},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.in), lim)
		var le *LimitError
		if !errors.As(err, &le) || !errors.Is(err, ErrLimit) {
			t.Errorf("Parse(%s) = %v, want a *LimitError", tc.in, err)
			continue
		}
		if le.Rule != tc.rule || le.Path != tc.path || le.Offset != tc.offset {
			t.Errorf("Parse(%s) = %v (rule %s path %q offset %d), want rule %s path %q offset %d",
				tc.in, err, le.Rule, le.Path, le.Offset, tc.rule, tc.path, tc.offset)
		}
		if le.Actual <= le.Limit {
			t.Errorf("Parse(%s): Actual %d not above Limit %d", tc.in, le.Actual, le.Limit)
		}
	}
	// Exactly at every limit is fine.
	ok := `{"abcd":{"b":[1]},"c":2,"d":3,"e":4}`
	if _, err := Parse([]byte(ok), lim); err != nil {
		t.Errorf("Parse(%s) at the limits: %v", ok, err)
	}
	if _, err := Parse([]byte(`1`), Limits{MaxDepth: -1}); !errors.Is(err, ErrInvalidLimits) {
		t.Errorf("negative limit: got %v, want ErrInvalidLimits", err)
	}
}

func TestParseObject(t *testing.T) {
	for _, in := range []string{`[]`, `1`, `null`, `"x"`} {
		if _, err := ParseObject([]byte(in), Limits{}); !errors.Is(err, ErrNotObject) {
			t.Errorf("ParseObject(%s) = %v, want ErrNotObject", in, err)
		}
	}
	if v, err := ParseObject([]byte(`{"a":1}`), Limits{}); err != nil || v.Kind() != Object {
		t.Errorf("ParseObject: %v, %v", v, err)
	}
}

func TestParseDefaultLimits(t *testing.T) {
	deep := strings.Repeat("[", DefaultMaxDepth) + strings.Repeat("]", DefaultMaxDepth)
	if _, err := Parse([]byte(deep), Limits{}); err != nil {
		t.Errorf("depth %d: %v", DefaultMaxDepth, err)
	}
	deeper := "[" + deep + "]"
	if _, err := Parse([]byte(deeper), Limits{}); !errors.Is(err, ErrLimit) {
		t.Errorf("depth %d: got %v, want ErrLimit", DefaultMaxDepth+1, err)
	}
	// A hostile nesting far beyond the limit stops at the limit (no stack growth).
	hostile := strings.Repeat("[", 20000)
	if _, err := Parse([]byte(hostile), Limits{}); !errors.Is(err, ErrLimit) {
		t.Errorf("hostile nesting: got %v, want ErrLimit", err)
	}
}
