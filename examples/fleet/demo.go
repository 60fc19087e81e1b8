package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetkit/fleetkit/broker"
	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/mqtt"
	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/cloud"
	"github.com/fleetkit/fleetkit/twin/device"
	"github.com/fleetkit/fleetkit/twin/store"
)

// Config is the demo's scenario.
type Config struct {
	Devices  int           // device roles (default 20)
	Messages int           // telemetry messages per device (default 10)
	Broker   string        // external broker URL; "" starts the embedded broker
	Keep     bool          // after the summary, keep running until ctx is done
	Timeout  time.Duration // bound on the scenario (default 1 minute)
}

// Summary is what the demo observed; the test asserts on it.
type Summary struct {
	Devices          int
	Connected        int
	TelemetrySent    int
	TelemetryUnique  int
	TelemetryDup     int
	Requests         int
	RequestsOK       int
	RequestP50       time.Duration
	RequestMax       time.Duration
	TwinConverged    int           // devices whose twin acknowledged the new desired setting
	TwinTime         time.Duration // from the cloud's change to the last acknowledgement
	SpoofRefused     bool
	SpoofErr         string
	ConnectTime      time.Duration
	TelemetryTime    time.Duration
	EnforcedByBroker bool // false with an external broker that does not enforce the namespace
}

const cloudUser, cloudPassword = "cloud", "demo-cloud-secret"

type reading struct {
	Seq  int     `json:"seq"`
	Temp float64 `json:"temp_c"`
}

// Run plays the scenario and writes a human summary to out.
func Run(ctx context.Context, cfg Config, out io.Writer) (*Summary, error) {
	if cfg.Devices <= 0 {
		cfg.Devices = 20
	}
	if cfg.Messages <= 0 {
		cfg.Messages = 10
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	sctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	sum := &Summary{Devices: cfg.Devices}

	url := cfg.Broker
	if url == "" {
		b, err := broker.New(broker.Config{Auth: broker.AllowAll(map[string]string{cloudUser: cloudPassword})})
		if err != nil {
			return nil, err
		}
		if err := b.Start(sctx); err != nil {
			return nil, err
		}
		defer b.Close()
		url = b.URL()
		sum.EnforcedByBroker = true
		fmt.Fprintf(out, "fleetkit demo: embedded MQTT broker on %s\n", b.Addr())
	} else {
		fmt.Fprintf(out, "fleetkit demo: broker %s\n", url)
	}

	// The cloud role: telemetry through a shared subscription, answers to device requests.
	cloud, err := mqtt.New(mqtt.Config{Servers: []string{url}, ClientID: "cloud-1", Cloud: true, Username: cloudUser, Password: []byte(cloudPassword)})
	if err != nil {
		return nil, err
	}
	defer cloud.Close()
	if err := cloud.AwaitConnection(sctx); err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	var received atomic.Int64
	allIn := make(chan struct{})
	want := cfg.Devices * cfg.Messages
	if _, err := cloud.Subscribe(sctx, "$share/cloud/"+transport.DeviceTopic("+", transport.KindTelemetry), transport.AtLeastOnce, func(m *transport.Message) {
		t, err := transport.ParseTopic(m.Topic)
		var r reading
		if err != nil || json.Unmarshal(m.Payload, &r) != nil {
			return
		}
		key := fmt.Sprintf("%s/%d", t.Device, r.Seq)
		mu.Lock()
		dup := seen[key]
		seen[key] = true
		n := len(seen)
		if dup {
			sum.TelemetryDup++
		}
		mu.Unlock()
		received.Add(1)
		if n == want {
			close(allIn)
		}
	}); err != nil {
		return nil, fmt.Errorf("cloud subscribe: %w", err)
	}
	if _, err := transport.Respond(sctx, cloud, transport.DeviceTopic("+", transport.KindRPC, "hello"), transport.AtLeastOnce,
		func(_ context.Context, req *transport.Message) (*transport.Message, error) {
			t, _ := transport.ParseTopic(req.Topic)
			body, _ := json.Marshal(map[string]any{"device": t.Device, "welcome": true, "report_every_s": 60})
			return &transport.Message{Payload: body, ContentType: transport.ContentJSON}, nil
		}); err != nil {
		return nil, fmt.Errorf("cloud respond: %w", err)
	}

	// The device roles.
	start := time.Now()
	devs := make([]*mqtt.Client, cfg.Devices)
	for i := range devs {
		id := fmt.Sprintf("dev-%03d", i+1)
		d, err := mqtt.New(mqtt.Config{Servers: []string{url}, ClientID: id, Username: id})
		if err != nil {
			return nil, err
		}
		defer d.Close()
		devs[i] = d
	}
	for _, d := range devs {
		if err := d.AwaitConnection(sctx); err != nil {
			return nil, fmt.Errorf("%s: %w", d.ID(), err)
		}
		sum.Connected++
	}
	sum.ConnectTime = time.Since(start)
	fmt.Fprintf(out, "devices:    %d connected in %v\n", sum.Connected, sum.ConnectTime.Round(time.Millisecond))

	start = time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Devices)
	lat := make([]time.Duration, cfg.Devices)
	var okReq atomic.Int64
	for i, d := range devs {
		wg.Add(1)
		go func(i int, d *mqtt.Client) {
			defer wg.Done()
			topic := transport.DeviceTopic(d.ID(), transport.KindTelemetry)
			for s := 1; s <= cfg.Messages; s++ {
				body, _ := json.Marshal(reading{Seq: s, Temp: 20 + float64((i*7+s)%50)/10})
				if err := d.Publish(sctx, &transport.Message{Topic: topic, Payload: body, ContentType: transport.ContentJSON, QoS: transport.AtLeastOnce}); err != nil {
					errs <- fmt.Errorf("%s telemetry %d: %w", d.ID(), s, err)
					return
				}
			}
			t0 := time.Now()
			resp, err := d.Request(sctx, &transport.Message{Topic: transport.DeviceTopic(d.ID(), transport.KindRPC, "hello"), Payload: []byte(`{}`), ContentType: transport.ContentJSON, QoS: transport.AtLeastOnce})
			lat[i] = time.Since(t0)
			if err != nil {
				errs <- fmt.Errorf("%s request: %w", d.ID(), err)
				return
			}
			var answer struct{ Welcome bool }
			if json.Unmarshal(resp.Payload, &answer) == nil && answer.Welcome {
				okReq.Add(1)
			}
		}(i, d)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	select {
	case <-allIn:
	case <-sctx.Done():
		return nil, fmt.Errorf("telemetry: cloud received %d of %d: %w", received.Load(), want, sctx.Err())
	}
	sum.TelemetryTime = time.Since(start)
	sum.TelemetrySent = want
	mu.Lock()
	sum.TelemetryUnique = len(seen)
	mu.Unlock()
	sum.Requests, sum.RequestsOK = cfg.Devices, int(okReq.Load())
	slices.Sort(lat)
	sum.RequestP50, sum.RequestMax = lat[len(lat)/2], lat[len(lat)-1]
	fmt.Fprintf(out, "telemetry:  %d sent, %d received (%d duplicates dropped) in %v\n",
		sum.TelemetrySent, sum.TelemetryUnique, sum.TelemetryDup, sum.TelemetryTime.Round(time.Millisecond))
	fmt.Fprintf(out, "requests:   %d/%d answered, p50 %v, max %v\n", sum.RequestsOK, sum.Requests,
		sum.RequestP50.Round(10*time.Microsecond), sum.RequestMax.Round(10*time.Microsecond))

	// Digital twins: the cloud changes a desired setting on every device; each device applies it
	// and acknowledges the desired version it applied.
	if err := runTwins(sctx, cloud, devs, sum); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "twin:       report_every_s=30 applied and acknowledged by %d/%d devices in %v\n",
		sum.TwinConverged, len(devs), sum.TwinTime.Round(time.Millisecond))

	// Identity on the wire must match the authenticated identity: dev-001 may not speak for dev-002.
	if cfg.Devices >= 2 {
		err := devs[0].Publish(sctx, &transport.Message{Topic: transport.DeviceTopic(devs[1].ID(), transport.KindTelemetry), Payload: []byte(`{"seq":999}`), QoS: transport.AtLeastOnce})
		sum.SpoofRefused = errors.Is(err, transport.ErrNotAuthorized)
		if err != nil {
			sum.SpoofErr = err.Error()
		}
		switch {
		case sum.SpoofRefused:
			fmt.Fprintf(out, "namespace:  %s publishing as %s refused (%s)\n", devs[0].ID(), devs[1].ID(), sum.SpoofErr)
		case sum.EnforcedByBroker:
			return nil, fmt.Errorf("namespace: %s published as %s and the broker accepted it", devs[0].ID(), devs[1].ID())
		default:
			fmt.Fprintf(out, "namespace:  not enforced by this broker (configure its ACL)\n")
		}
	}
	fmt.Fprintln(out, "ok")

	if cfg.Keep {
		fmt.Fprintln(out, "running; Ctrl-C to stop")
		<-ctx.Done()
	}
	return sum, nil
}

// runTwins starts the twin service on the cloud connection and a twin client on every device,
// changes the desired reporting interval of every device, and waits until each twin document
// shows the device's acknowledgement of that desired version.
func runTwins(ctx context.Context, cc *mqtt.Client, devs []*mqtt.Client, sum *Summary) error {
	svc, err := cloud.New(cc, cloud.Config{Store: store.NewMemory(twin.Limits{})})
	if err != nil {
		return err
	}
	if err := svc.Start(ctx); err != nil {
		return fmt.Errorf("twin service: %w", err)
	}
	defer svc.Close()
	for _, d := range devs {
		tc, err := device.New(d, device.Config{Name: "config"})
		if err != nil {
			return err
		}
		var interval atomic.Int64
		if err := tc.HandleInt("report_every_s", func(v int64) error {
			if v < 1 {
				return fmt.Errorf("report_every_s %d: must be at least 1", v)
			}
			interval.Store(v)
			return nil
		}); err != nil {
			return err
		}
		if err := tc.Start(ctx); err != nil {
			return fmt.Errorf("%s twin: %w", d.ID(), err)
		}
		defer tc.Close()
	}
	patch, err := twin.ParseObject([]byte(`{"report_every_s":30}`), twin.Limits{})
	if err != nil {
		return err
	}
	start := time.Now()
	want := map[string]bool{}
	for _, d := range devs {
		if _, err := svc.UpdateDesired(ctx, d.ID(), "config", patch, 0); err != nil {
			return fmt.Errorf("%s desired: %w", d.ID(), err)
		}
		want[d.ID()] = true
	}
	for len(want) > 0 {
		for id := range want {
			doc, err := svc.Get(ctx, id, "config")
			if err != nil {
				return fmt.Errorf("%s twin: %w", id, err)
			}
			if a, ok := doc.Ack("report_every_s"); ok && a.Code == 200 && doc.DesiredVersion() > 0 && a.Version >= doc.DesiredVersion() {
				delete(want, id)
				sum.TwinConverged++
			}
		}
		if len(want) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("twin: %d devices did not acknowledge: %w", len(want), ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	sum.TwinTime = time.Since(start)
	return nil
}
