package mqtt

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/fleetkit/fleetkit/transport"
)

// The benchmarks compare fleetkit's client with raw paho.golang in the same run, through the
// embedded broker and through Mosquitto: 256-byte payloads on loopback, measured end to end
// (publisher → broker → subscriber).

const benchPayload = 256

// window is the number of QoS 1 publishes in flight (publishing goroutines).
const window = 100

type benchPair interface {
	publish(ctx context.Context, topic string, payload []byte, qos byte) error
	close()
}

type fkPair struct{ pub, sub *Client }

func (p *fkPair) publish(ctx context.Context, topic string, payload []byte, qos byte) error {
	return p.pub.Publish(ctx, &transport.Message{Topic: topic, Payload: payload, QoS: transport.QoS(qos)})
}
func (p *fkPair) close() { p.pub.Close(); p.sub.Close() }

type pahoPair struct{ pub, sub *paho.Client }

func (p *pahoPair) publish(ctx context.Context, topic string, payload []byte, qos byte) error {
	_, err := p.pub.Publish(ctx, &paho.Publish{Topic: topic, Payload: payload, QoS: qos})
	return err
}
func (p *pahoPair) close() {
	p.pub.Disconnect(&paho.Disconnect{})
	p.sub.Disconnect(&paho.Disconnect{})
}

// rawPaho connects a bare paho client. A cloud client authenticates as the embedded broker's
// cloud user (Mosquitto ignores the credentials).
func rawPaho(b testing.TB, addr, id string, cloud bool, recvMax uint16, onMsg func(paho.PublishReceived) (bool, error)) *paho.Client {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	cfg := paho.ClientConfig{ClientID: id, Conn: conn}
	if onMsg != nil {
		cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){onMsg}
	}
	c := paho.NewClient(cfg)
	cp := &paho.Connect{ClientID: id, KeepAlive: 30, CleanStart: true, Username: id, UsernameFlag: true}
	if cloud {
		cp.Username, cp.Password, cp.PasswordFlag = "cloud", []byte(benchCloudPassword), true
	}
	if recvMax > 0 {
		cp.Properties = &paho.ConnectProperties{ReceiveMaximum: &recvMax}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Connect(ctx, cp); err != nil {
		b.Fatal(err)
	}
	return c
}

// newPair connects a publisher and a subscriber; the publisher's telemetry topic is returned.
func newPair(b testing.TB, impl, url, addr string, qos byte, onMsg func()) (benchPair, string) {
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	pubID, subID := "bpub"+suffix, "bsub"+suffix
	topic := transport.DeviceTopic(pubID, transport.KindTelemetry)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	switch impl {
	case "fleetkit", "fleetkit+outbox":
		sub, err := New(Config{Servers: []string{url}, ClientID: subID, Username: "cloud", Password: []byte(benchCloudPassword), ReceiveMaximum: window, SessionExpiry: -1})
		if err != nil {
			b.Fatal(err)
		}
		pcfg := Config{Servers: []string{url}, ClientID: pubID, Username: pubID, SessionExpiry: -1}
		if impl == "fleetkit+outbox" {
			ob, err := OpenOutbox(b.TempDir(), OutboxOptions{Window: window})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { ob.Close() })
			pcfg.Outbox = ob
		}
		pub, err := New(pcfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := sub.AwaitConnection(ctx); err != nil {
			b.Fatal(err)
		}
		if err := pub.AwaitConnection(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := sub.Subscribe(ctx, "fk/v1/+/tlm", transport.QoS(qos), func(*transport.Message) { onMsg() }); err != nil {
			b.Fatal(err)
		}
		return &fkPair{pub, sub}, topic
	default:
		sub := rawPaho(b, addr, subID, true, window, func(paho.PublishReceived) (bool, error) { onMsg(); return true, nil })
		if _, err := sub.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "fk/v1/+/tlm", QoS: qos}}}); err != nil {
			b.Fatal(err)
		}
		return &pahoPair{rawPaho(b, addr, pubID, false, 0, nil), sub}, topic
	}
}

func benchPublish(b *testing.B, qos byte) {
	impls := []string{"fleetkit", "paho"}
	if qos == 1 {
		impls = append(impls, "fleetkit+outbox")
	}
	for _, br := range benchBrokers(b) {
		for _, impl := range impls {
			b.Run(br.name+"/"+impl, func(b *testing.B) {
				var got atomic.Int64
				done := make(chan struct{})
				target := int64(b.N)
				var once sync.Once
				pair, topic := newPair(b, impl, br.url, br.addr, qos, func() {
					if got.Add(1) >= target {
						once.Do(func() { close(done) })
					}
				})
				defer pair.close()
				time.Sleep(50 * time.Millisecond) // let the subscription settle at the broker
				payload := make([]byte, benchPayload)
				workers := window
				if qos == 0 {
					workers = 1 // QoS 0 does not wait: one publisher saturates the connection
				}
				ctx := context.Background()
				b.ReportAllocs()
				b.SetBytes(benchPayload)
				b.ResetTimer()
				start := time.Now()
				var next atomic.Int64
				var wg sync.WaitGroup
				for w := 0; w < workers; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= target {
							if err := pair.publish(ctx, topic, payload, qos); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					// QoS 0 may lose under load: report what arrived.
				}
				el := time.Since(start)
				b.StopTimer()
				b.ReportMetric(float64(got.Load())/el.Seconds(), "msgs/s")
				b.ReportMetric(100*float64(target-min(got.Load(), target))/float64(target), "lost%")
			})
		}
	}
}

// BenchmarkPublishQoS0: fire-and-forget, end to end to a subscriber.
func BenchmarkPublishQoS0(b *testing.B) { benchPublish(b, 0) }

// BenchmarkPublishQoS1: 100 publishes in flight, end to end to a subscriber.
func BenchmarkPublishQoS1(b *testing.B) { benchPublish(b, 1) }

// BenchmarkRequest: sequential request/response round trips; reports p50 and p99.
func BenchmarkRequest(b *testing.B) {
	for _, br := range benchBrokers(b) {
		for _, impl := range []string{"fleetkit", "paho"} {
			b.Run(br.name+"/"+impl, func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				ctx := context.Background()
				var do func() error
				switch impl {
				case "fleetkit":
					cloud, _ := New(Config{Servers: []string{br.url}, ClientID: "rcloud", Username: "cloud", Password: []byte(benchCloudPassword), SessionExpiry: -1})
					dev, _ := New(Config{Servers: []string{br.url}, ClientID: "rdev", Username: "rdev", SessionExpiry: -1})
					defer cloud.Close()
					defer dev.Close()
					cloud.AwaitConnection(ctx)
					dev.AwaitConnection(ctx)
					transport.Respond(ctx, cloud, "fk/v1/+/rpc/#", 1, func(_ context.Context, r *transport.Message) (*transport.Message, error) {
						return &transport.Message{Payload: r.Payload}, nil
					})
					time.Sleep(50 * time.Millisecond)
					req := &transport.Message{Topic: "fk/v1/rdev/rpc/ping", Payload: make([]byte, 64), QoS: 1}
					do = func() error { _, err := dev.Request(ctx, req); return err }
				default:
					do = rawPahoRequester(b, br.addr)
				}
				for i := 0; i < 10; i++ { // warm up
					if err := do(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					if err := do(); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				b.StopTimer()
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			})
		}
	}
}

// rawPahoRequester builds the same request/response exchange with paho alone: a responder that
// echoes to the response topic, and a requester matching correlation data.
func rawPahoRequester(b *testing.B, addr string) func() error {
	var responder *paho.Client
	responder = rawPaho(b, addr, "prcloud", true, 0, func(pr paho.PublishReceived) (bool, error) {
		p := pr.Packet
		if p.Properties == nil || p.Properties.ResponseTopic == "" {
			return true, nil
		}
		_, err := responder.Publish(context.Background(), &paho.Publish{Topic: p.Properties.ResponseTopic, QoS: 1, Payload: p.Payload,
			Properties: &paho.PublishProperties{CorrelationData: p.Properties.CorrelationData}})
		return true, err
	})
	waiting := make(chan []byte, 1)
	requester := rawPaho(b, addr, "prdev", false, 0, func(pr paho.PublishReceived) (bool, error) {
		waiting <- pr.Packet.Properties.CorrelationData
		return true, nil
	})
	ctx := context.Background()
	if _, err := responder.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "fk/v1/+/rpc/#", QoS: 1}}}); err != nil {
		b.Fatal(err)
	}
	if _, err := requester.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "fk/v1/prdev/rsp/in", QoS: 1}}}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		responder.Disconnect(&paho.Disconnect{})
		requester.Disconnect(&paho.Disconnect{})
	})
	time.Sleep(50 * time.Millisecond)
	var n uint64
	payload := make([]byte, 64)
	return func() error {
		n++
		corr := []byte(fmt.Sprint(n))
		if _, err := requester.Publish(ctx, &paho.Publish{Topic: "fk/v1/prdev/rpc/ping", QoS: 1, Payload: payload,
			Properties: &paho.PublishProperties{ResponseTopic: "fk/v1/prdev/rsp/in", CorrelationData: corr}}); err != nil {
			return err
		}
		select {
		case got := <-waiting:
			if string(got) != string(corr) {
				return fmt.Errorf("correlation %q, want %q", got, corr)
			}
			return nil
		case <-time.After(5 * time.Second):
			return fmt.Errorf("no response")
		}
	}
}

// BenchmarkIdleConnections reports heap and goroutines per idle connected client, 10,000 of them
// in this process, for fleetkit and raw paho (receive maximum 20 for both).
func BenchmarkIdleConnections(b *testing.B) {
	const n = 10000
	for _, br := range benchBrokers(b) {
		if br.name != "mosquitto" {
			continue // the embedded broker would hold the other 10,000 sockets in this process
		}
		for _, impl := range []string{"fleetkit", "paho"} {
			b.Run(br.name+"/"+impl, func(b *testing.B) {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				g0 := runtime.NumGoroutine()
				var closers []func()
				ctx := context.Background()
				for i := 0; i < n; i++ {
					id := fmt.Sprintf("idle-%s-%05d", impl, i)
					if impl == "fleetkit" {
						c, err := New(Config{Servers: []string{br.url}, ClientID: id, SessionExpiry: -1, Backoff: benchBackoff})
						if err != nil {
							b.Fatal(err)
						}
						if err := c.AwaitConnection(ctx); err != nil {
							b.Fatal(err)
						}
						closers = append(closers, func() { c.Close() })
					} else {
						c := rawPaho(b, br.addr, id, false, 20, func(paho.PublishReceived) (bool, error) { return true, nil })
						closers = append(closers, func() { c.Disconnect(&paho.Disconnect{}) })
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/conn")
				b.ReportMetric(float64(after.StackInuse-before.StackInuse)/n, "stack-B/conn")
				b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/conn")
				for _, c := range closers {
					c()
				}
			})
		}
	}
}
