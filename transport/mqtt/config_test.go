package mqtt

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Servers: []string{"mqtt://h"}}, "ClientID is required"},
		{Config{ClientID: "d"}, "at least one broker URL"},
		{Config{ClientID: "d", Servers: []string{"http://h"}}, "scheme must be"},
		{Config{ClientID: "d", Servers: []string{"mqtt://"}}, "missing host"},
		{Config{ClientID: "d", Servers: []string{"mqtt://h"}, Will: &transport.Message{Topic: "a/+"}}, "Will"},
		{Config{ClientID: "d", Servers: []string{"mqtt://h"}, KeepAlive: 100000 * time.Second}, "KeepAlive"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want error naming %q", tt.cfg, err, tt.want)
		}
	}
	c, servers, err := Config{ClientID: "d", Servers: []string{"mqtt://a", "mqtts://b", "tcp://c:1", "tls://[::1]:2"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	wantAddr := []string{"a:1883", "b:8883", "c:1", "[::1]:2"}
	for i, s := range servers {
		if s.addr != wantAddr[i] || s.tls != (i%2 == 1) {
			t.Errorf("server %d = %+v, want %s", i, s, wantAddr[i])
		}
	}
	if c.KeepAlive != defaultKeepAlive || c.ReceiveMaximum != defaultReceiveMaximum || c.SessionExpiry != time.Hour || c.MaxPayload != 1<<20 {
		t.Errorf("defaults not applied: %+v", c)
	}
}

// TestReasonCodesMatchSpec checks every failure code fleetkit names against the OASIS table as
// published in Mosquitto's mqtt_protocol.h (testdata/SOURCE.md).
func TestReasonCodesMatchSpec(t *testing.T) {
	raw, err := os.ReadFile("testdata/mqtt5-codes.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ReasonCodes []struct {
			Name  string `json:"name"`
			Value int    `json:"value"`
		} `json:"reason_codes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	spec := map[int]string{}
	for _, rc := range doc.ReasonCodes {
		if rc.Value >= 0x80 {
			spec[rc.Value] = rc.Name
		}
	}
	norm := func(s string) string {
		return strings.NewReplacer("_", "", " ", "", "IDENTIFIERS", "IDS", "IDENTIFIER", "ID", "USERNAME", "USERNAME").Replace(strings.ToUpper(s))
	}
	for code, name := range reasonNames {
		if code < 0x80 {
			continue
		}
		specName, ok := spec[int(code)]
		if !ok {
			t.Errorf("0x%02X %q is not a failure code in the spec table", byte(code), name)
			continue
		}
		if a, b := norm(name), norm(specName); !strings.HasPrefix(a, b[:min(len(b), 8)]) && !strings.HasPrefix(b, a[:min(len(a), 8)]) {
			t.Errorf("0x%02X: fleetkit says %q, spec says %q", byte(code), name, specName)
		}
	}
	for v, name := range spec {
		if _, ok := reasonNames[ReasonCode(v)]; !ok {
			t.Errorf("spec failure code 0x%02X %s has no name in fleetkit", v, name)
		}
	}
}

func TestReasonErrorSentinels(t *testing.T) {
	tests := []struct {
		code ReasonCode
		want error
	}{
		{NotAuthorized, transport.ErrNotAuthorized},
		{BadUserNameOrPassword, transport.ErrNotAuthorized},
		{Banned, transport.ErrNotAuthorized},
		{TopicNameInvalid, transport.ErrInvalidTopic},
		{PacketTooLarge, transport.ErrTooLarge},
		{ServerUnavailable, transport.ErrRefused},
		{QuotaExceeded, transport.ErrRefused},
	}
	for _, tt := range tests {
		var err error = &ReasonError{Packet: "CONNACK", Code: tt.code}
		if !errors.Is(err, tt.want) {
			t.Errorf("%v does not match %v", err, tt.want)
		}
		var re *ReasonError
		if !errors.As(err, &re) || re.Code != tt.code {
			t.Errorf("errors.As lost the code for %v", err)
		}
	}
	if s := (&ReasonError{Packet: "PUBACK", Code: NotAuthorized, Topic: "fk/v1/x/tlm", Reason: "acl"}).Error(); !strings.Contains(s, "not authorized (0x87)") || !strings.Contains(s, "fk/v1/x/tlm") || !strings.Contains(s, "acl") {
		t.Errorf("message %q lacks code, topic or reason", s)
	}
}
