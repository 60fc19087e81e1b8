package transport

import (
	"errors"
	"strings"
	"testing"
)

func TestDeviceTopicRoundTrip(t *testing.T) {
	tests := []struct {
		device, kind string
		rest         []string
		want         string
	}{
		{"dev-1", KindTelemetry, nil, "fk/v1/dev-1/tlm"},
		{"dev-1", KindTwin, []string{"config", "update"}, "fk/v1/dev-1/twin/config/update"},
		{"a.b:c@d_e", KindCommand, []string{"x"}, "fk/v1/a.b:c@d_e/cmd/x"},
	}
	for _, tt := range tests {
		got := DeviceTopic(tt.device, tt.kind, tt.rest...)
		if got != tt.want {
			t.Fatalf("DeviceTopic = %q, want %q", got, tt.want)
		}
		p, err := ParseTopic(got)
		if err != nil {
			t.Fatalf("ParseTopic(%q): %v", got, err)
		}
		if p.Device != tt.device || p.Kind != tt.kind || p.Rest != strings.Join(tt.rest, "/") {
			t.Fatalf("ParseTopic(%q) = %+v", got, p)
		}
		if p.String() != got {
			t.Fatalf("String() = %q, want %q", p.String(), got)
		}
	}
	p, err := ParseTopic("fk/v1/prov/claim/dev-9")
	if err != nil || p.Device != ProvisioningDevice || p.Kind != "claim" || len(p.Levels()) != 1 {
		t.Fatalf("provisioning topic: %+v %v", p, err)
	}
}

func TestParseTopicErrors(t *testing.T) {
	tests := []struct{ topic, rule string }{
		{"other/v1/d/tlm", "namespace"},
		{"fk/v2/d/tlm", "namespace"},
		{"fk/v1/d", "missing kind"},
		{"fk/v1/d/", "missing kind"},
		{"fk/v1/d//x", "empty kind"},
		{"fk/v1//tlm", "must not be empty"},
		{"fk/v1/d%x/tlm", "may contain only"},
		{"fk/v1/_sys/tlm", "reserved"},
		{"fk/v1/+/tlm", "wildcards"},
	}
	for _, tt := range tests {
		_, err := ParseTopic(tt.topic)
		if !errors.Is(err, ErrInvalidTopic) || !strings.Contains(err.Error(), tt.rule) {
			t.Errorf("ParseTopic(%q) = %v, want ErrInvalidTopic naming %q", tt.topic, err, tt.rule)
		}
	}
}

func TestValidateDeviceID(t *testing.T) {
	for _, id := range []string{"d", "dev-001", "a.b", "urn:x", "x@y", strings.Repeat("a", 128)} {
		if err := ValidateDeviceID(id); err != nil {
			t.Errorf("ValidateDeviceID(%q) = %v", id, err)
		}
	}
	for _, id := range []string{"", "prov", "_x", "a/b", "a+b", "a#", "a b", "é", strings.Repeat("a", 129)} {
		if err := ValidateDeviceID(id); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("ValidateDeviceID(%q) = %v, want ErrInvalidTopic", id, err)
		}
	}
}

func TestAuthorize(t *testing.T) {
	dev := Identity{ID: "d1"}
	cloud := Identity{ID: "cloud", Cloud: true}
	tests := []struct {
		id    Identity
		act   Action
		topic string
		want  error
	}{
		{dev, ActionPublish, "fk/v1/d1/tlm", nil},
		{dev, ActionSubscribe, "fk/v1/d1/cmd/#", nil},
		{dev, ActionSubscribe, "fk/v1/d1/+/x", nil},
		{dev, ActionPublish, "fk/v1/d2/tlm", ErrNotAuthorized},
		{dev, ActionPublish, "fk/v1/d10/tlm", ErrNotAuthorized},
		{dev, ActionPublish, "fk/v1/d1", ErrNotAuthorized},
		{dev, ActionSubscribe, "fk/v1/+/tlm", ErrNotAuthorized},
		{dev, ActionSubscribe, "#", ErrNotAuthorized},
		{dev, ActionSubscribe, "$share/g/fk/v1/d1/tlm", ErrNotAuthorized},
		{dev, ActionPublish, "fk/v1/d1/+", ErrInvalidTopic},
		{Identity{ID: "a/b"}, ActionPublish, "fk/v1/a/b/x", ErrNotAuthorized},
		{cloud, ActionSubscribe, "$share/cloud/fk/v1/+/tlm", nil},
		{cloud, ActionPublish, "fk/v1/d2/cmd/x", nil},
		{cloud, ActionPublish, "fk/v1/#", ErrInvalidTopic},
	}
	for _, tt := range tests {
		err := Authorize(tt.id, tt.act, tt.topic)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("Authorize(%+v, %v, %q) = %v, want %v", tt.id, tt.act, tt.topic, err, tt.want)
		}
	}
}

func FuzzParseTopic(f *testing.F) {
	f.Add("fk/v1/dev-1/twin/config/update")
	f.Add("fk/v1/prov/claim")
	f.Add("fk/v1//x")
	f.Add("fk/v1/d/\xff")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseTopic(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidTopic) {
				t.Fatalf("ParseTopic(%q) error %v does not match ErrInvalidTopic", s, err)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("ParseTopic(%q).String() = %q", s, p.String())
		}
		if p.Device != ProvisioningDevice {
			if err := Authorize(Identity{ID: p.Device}, ActionPublish, s); err != nil {
				t.Fatalf("device %q refused its own topic %q: %v", p.Device, s, err)
			}
		}
	})
}
