package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the demo scenario and asserts every outcome it prints.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	sum, err := Run(context.Background(), Config{Devices: 8, Messages: 25, Timeout: 30 * time.Second}, &out)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if sum.Connected != 8 {
		t.Errorf("connected %d of 8", sum.Connected)
	}
	if sum.TelemetrySent != 200 || sum.TelemetryUnique != 200 {
		t.Errorf("telemetry sent %d, unique received %d, want 200/200", sum.TelemetrySent, sum.TelemetryUnique)
	}
	if sum.RequestsOK != 8 {
		t.Errorf("requests answered %d of 8", sum.RequestsOK)
	}
	if sum.TwinConverged != 8 {
		t.Errorf("twins converged %d of 8", sum.TwinConverged)
	}
	if !sum.SpoofRefused {
		t.Errorf("spoofed publish not refused: %q", sum.SpoofErr)
	}
	for _, want := range []string{"embedded MQTT broker", "devices:    8 connected", "telemetry:  200 sent, 200 received", "requests:   8/8 answered", "acknowledged by 8/8 devices", "refused", "ok"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}
