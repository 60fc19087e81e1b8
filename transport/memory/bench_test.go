package memory

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

// BenchmarkThroughput: N device clients each publish to their own telemetry topic; one cloud
// subscriber on fk/v1/+/tlm receives everything. Reports end-to-end msgs/s.
func BenchmarkThroughput(b *testing.B) {
	for _, n := range []int{1, 100, 10000} {
		for _, qos := range []transport.QoS{0, 1} {
			b.Run(fmt.Sprintf("clients=%d/qos=%d", n, qos), func(b *testing.B) {
				br := NewBroker(Options{})
				defer br.Close()
				cloud, _ := br.Connect(ClientConfig{ID: "cloud", Identity: transport.Identity{Cloud: true}})
				var got atomic.Int64
				done := make(chan struct{})
				target := int64(b.N)
				cloud.Subscribe(context.Background(), "fk/v1/+/tlm", 1, func(*transport.Message) {
					if got.Add(1) == target {
						close(done)
					}
				})
				devs := make([]*Client, n)
				topics := make([]string, n)
				for i := range devs {
					devs[i], _ = br.Connect(ClientConfig{ID: fmt.Sprintf("d%d", i)})
					topics[i] = transport.DeviceTopic(devs[i].ID(), transport.KindTelemetry)
				}
				payload := make([]byte, 256)
				workers := min(n, 8)
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func(w int) {
						defer wg.Done()
						for i := w; i < b.N; i += workers {
							d := i % n
							devs[d].Publish(context.Background(), &transport.Message{Topic: topics[d], Payload: payload, QoS: qos})
						}
					}(w)
				}
				wg.Wait()
				<-done
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			})
		}
	}
}

// BenchmarkRequest: sequential request/response round trips between a device and a cloud
// responder.
func BenchmarkRequest(b *testing.B) {
	br := NewBroker(Options{})
	defer br.Close()
	cloud, _ := br.Connect(ClientConfig{ID: "cloud", Identity: transport.Identity{Cloud: true}})
	dev, _ := br.Connect(ClientConfig{ID: "d1"})
	transport.Respond(context.Background(), cloud, "fk/v1/+/rpc/#", 1, func(_ context.Context, r *transport.Message) (*transport.Message, error) {
		return &transport.Message{Payload: r.Payload}, nil
	})
	req := &transport.Message{Topic: "fk/v1/d1/rpc/ping", Payload: make([]byte, 64), QoS: 1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := dev.Request(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdleClient reports the heap cost of one connected, subscribed, idle client, measured
// once over 10,000 clients whatever b.N is.
func BenchmarkIdleClient(b *testing.B) {
	const n = 10000
	for i := 0; i < 1; i++ {
		br := NewBroker(Options{})
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		cs := make([]*Client, n)
		for j := range cs {
			cs[j], _ = br.Connect(ClientConfig{ID: fmt.Sprintf("device-%06d", j), SessionExpiry: time.Hour})
			cs[j].Subscribe(context.Background(), transport.DeviceTopic(cs[j].ID(), transport.KindCommand, "#"), 1, func(*transport.Message) {})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/client")
		b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
		br.Close()
	}
}
