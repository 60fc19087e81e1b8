package cloud_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/memory"
	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/cloud"
	"github.com/fleetkit/fleetkit/twin/store"
)

func setup(t *testing.T) (*memory.Broker, *cloud.Service, *memory.Client) {
	t.Helper()
	b, svc, cc, _ := setupStore(t)
	return b, svc, cc
}

// setupStore starts a service on a memory broker and also returns its store.
func setupStore(t *testing.T) (*memory.Broker, *cloud.Service, *memory.Client, store.Store) {
	t.Helper()
	b := memory.NewBroker(memory.Options{})
	t.Cleanup(b.Close)
	cc, err := b.Connect(memory.ClientConfig{ID: "svc", Identity: transport.Identity{Cloud: true}})
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory(twin.Limits{})
	svc, err := cloud.New(cc, cloud.Config{Store: st, Limits: twin.Limits{MaxDocumentBytes: 512, MaxDepth: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return b, svc, cc, st
}

func request(t *testing.T, c transport.Client, topic, body string) twin.Value {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.Request(ctx, &transport.Message{Topic: topic, Payload: []byte(body), QoS: 1})
	if err != nil {
		t.Fatalf("request %s: %v", topic, err)
	}
	v, err := twin.ParseObject(resp.Payload, twin.Limits{})
	if err != nil {
		t.Fatalf("response %q: %v", resp.Payload, err)
	}
	return v
}

func field(v twin.Value, path ...string) string {
	x, ok := v.Get(path...)
	if !ok {
		return ""
	}
	if s, ok := x.AsString(); ok {
		return s
	}
	return x.String()
}

func TestDeviceRequests(t *testing.T) {
	b, svc, _ := setup(t)
	ctx := context.Background()
	dev, err := b.Connect(memory.ClientConfig{ID: "dev-1"})
	if err != nil {
		t.Fatal(err)
	}
	const base = "fk/v1/dev-1/twin/config/"
	if r := request(t, dev, base+"get", ""); field(r, "error", "rule") != "not-found" || field(r, "error", "code") != "404" {
		t.Fatalf("get of a missing twin: %s", r)
	}
	if _, err := svc.UpdateDesired(ctx, "dev-1", "config", mustObj(t, `{"led":"on"}`), 0); err != nil {
		t.Fatal(err)
	}
	r := request(t, dev, base+"update", `{"state":{"reported":{"led":"off"}},"clientToken":"t1"}`)
	if field(r, "status") != "accepted" || field(r, "version") != "2" || field(r, "clientToken") != "t1" || field(r, "desiredVersion") != "1" {
		t.Fatalf("update: %s", r)
	}
	r = request(t, dev, base+"update", `{"state":{"reported":{"led":"on"}},"acks":{"led":{"ac":200,"av":1,"ad":"done"}},"version":2}`)
	if field(r, "status") != "accepted" || field(r, "version") != "3" {
		t.Fatalf("update with ack: %s", r)
	}
	r = request(t, dev, base+"get", `{"clientToken":"g"}`)
	if field(r, "document", "ack", "led", "av") != "1" || field(r, "document", "state", "reported", "led") != "on" || field(r, "clientToken") != "g" {
		t.Fatalf("get: %s", r)
	}

	deep := `{"state":{"reported":{"a":{"b":{"c":{"d":{"e":1}}}}}}}`
	large := `{"state":{"reported":{"blob":"` + strings.Repeat("x", 600) + `"}}}`
	cases := []struct {
		name, op, body string
		code, rule     string
		path           string
	}{
		{"invalid JSON", "update", `{"state":`, "400", "syntax", ""},
		{"duplicate key", "update", `{"state":{"reported":{"a":1,"a":2}}}`, "400", "syntax", "state.reported"},
		{"non-object patch", "update", `{"state":{"reported":[1,2]}}`, "400", "bad-request", "state.reported"},
		{"non-object body", "update", `"hello"`, "400", "not-object", ""},
		{"too deep", "update", deep, "400", "limit", "state.reported.a.b"},
		{"too large", "update", large, "400", "limit", "reported"},
		{"unknown member", "update", `{"state":{"reported":{}},"colour":1}`, "400", "bad-request", "colour"},
		{"unknown section", "update", `{"state":{"metadata":{}}}`, "400", "bad-request", "state.metadata"},
		{"another device", "update", `{"device":"dev-2","state":{"reported":{"x":1}}}`, "403", "forbidden", ""},
		{"device writes desired", "update", `{"state":{"desired":{"led":"off"}}}`, "403", "forbidden", ""},
		{"stale version", "update", `{"state":{"reported":{"x":1}},"version":1}`, "409", "conflict", ""},
		{"ack of a future desired version", "update", `{"acks":{"led":{"ac":200,"av":9}}}`, "400", "invalid", ""},
		{"ack without av", "update", `{"acks":{"led":{"ac":200}}}`, "400", "bad-request", "acks.led"},
		{"bad version type", "update", `{"state":{"reported":{}},"version":"3"}`, "400", "bad-request", "version"},
		{"empty update", "update", ``, "400", "bad-request", "state"},
		{"state on get", "get", `{"state":{"reported":{}}}`, "400", "bad-request", "state"},
		{"unknown op", "patch", `{}`, "400", "bad-request", ""},
		{"stamps not an object", "update", `{"state":{"reported":{"x":1}},"stamps":[1]}`, "400", "bad-request", "stamps"},
		{"stamp not an integer", "update", `{"state":{"reported":{"x":1}},"stamps":{"x":"now"}}`, "400", "invalid", ""},
		{"stamps on get", "get", `{"stamps":{}}`, "400", "bad-request", "stamps"},
		{"stale delete", "delete", `{"version":1}`, "409", "conflict", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _ := svc.Get(ctx, "dev-1", "config")
			if c.op == "patch" {
				// Not subscribed by the service: no answer. Use the decoder directly.
				_, err := cloud.DecodeRequest("patch", []byte(c.body), twin.Limits{})
				if !errors.Is(err, cloud.ErrBadRequest) {
					t.Fatalf("unknown op: %v", err)
				}
				return
			}
			r := request(t, dev, base+c.op, c.body)
			if field(r, "status") != "rejected" || field(r, "error", "code") != c.code || field(r, "error", "rule") != c.rule {
				t.Fatalf("got %s, want rejected %s %s", r, c.code, c.rule)
			}
			if c.path != "" && !strings.HasPrefix(field(r, "error", "path"), c.path) {
				t.Fatalf("error path %q, want %q", field(r, "error", "path"), c.path)
			}
			if field(r, "error", "message") == "" {
				t.Fatalf("no message: %s", r)
			}
			after, _ := svc.Get(ctx, "dev-1", "config")
			if string(after.AppendJSON(nil)) != string(before.AppendJSON(nil)) {
				t.Fatalf("a rejected request changed the document:\n%s\n%s", before.AppendJSON(nil), after.AppendJSON(nil))
			}
		})
	}
	if r := request(t, dev, base+"delete", `{"version":3}`); field(r, "status") != "accepted" {
		t.Fatalf("delete: %s", r)
	}
	if _, err := svc.Get(ctx, "dev-1", "config"); !errors.Is(err, cloud.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

// The broker confines a device to its own prefix; the service never sees such a request.
func TestOtherDevicesTopicRefused(t *testing.T) {
	b, _, _ := setup(t)
	dev, _ := b.Connect(memory.ClientConfig{ID: "dev-1"})
	_, err := dev.Request(context.Background(), &transport.Message{Topic: "fk/v1/dev-2/twin/config/get", QoS: 1})
	if !errors.Is(err, transport.ErrNotAuthorized) {
		t.Fatalf("request on another device's twin: %v, want ErrNotAuthorized", err)
	}
}

func TestUpdateDesiredPublishes(t *testing.T) {
	b, svc, cc := setup(t)
	ctx := context.Background()
	dev, _ := b.Connect(memory.ClientConfig{ID: "dev-1"})
	deltas := make(chan *transport.Message, 4)
	changes := make(chan *transport.Message, 8)
	dev.Subscribe(ctx, "fk/v1/dev-1/twin/config/delta", 1, func(m *transport.Message) { deltas <- m })
	cc.Subscribe(ctx, cloud.ChangedFilter(), 1, func(m *transport.Message) { changes <- m })
	res, err := svc.UpdateDesired(ctx, "dev-1", "config", mustObj(t, `{"fan":{"speed":3}}`), 0)
	if err != nil || res.Version != 1 {
		t.Fatalf("UpdateDesired: %+v %v", res, err)
	}
	select {
	case m := <-deltas:
		v, st, err := decodeDelta(m.Payload)
		if err != nil || v != 1 || st != `{"fan":{"speed":3}}` {
			t.Fatalf("delta %s: %d %s %v", m.Payload, v, st, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no delta")
	}
	select {
	case m := <-changes:
		if m.Topic != "fk/v1/_twin/changed/dev-1/config" || !strings.Contains(string(m.Payload), `"section":"desired","version":1`) {
			t.Fatalf("change notification %s %s", m.Topic, m.Payload)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no change notification")
	}
	// Compare-and-set on the cloud API.
	_, err = svc.UpdateDesired(ctx, "dev-1", "config", mustObj(t, `{"fan":{"speed":4}}`), 7)
	var ce *twin.ConflictError
	if !errors.As(err, &ce) || ce.Current != 1 {
		t.Fatalf("stale UpdateDesired: %v", err)
	}
	if _, err := svc.UpdateDesired(ctx, "dev-1", "config", twin.ArrayOf(), 0); !errors.Is(err, twin.ErrNotObject) {
		t.Fatalf("array patch: %v", err)
	}
	if _, err := svc.UpdateDesiredJSON(ctx, "dev-1", "config", []byte(`{"a":`), 0); !errors.Is(err, twin.ErrSyntax) {
		t.Fatalf("bad JSON: %v", err)
	}
	if _, err := svc.UpdateDesired(ctx, "dev/1", "config", mustObj(t, `{}`), 0); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("bad device: %v", err)
	}
	// A no-op desired update bumps the version but publishes no delta.
	if _, err := svc.UpdateDesired(ctx, "dev-1", "config", mustObj(t, `{"fan":{"speed":3}}`), 1); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-deltas:
		t.Fatalf("delta for a no-op update: %s", m.Payload)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestNewValidates(t *testing.T) {
	b := memory.NewBroker(memory.Options{})
	defer b.Close()
	cc, _ := b.Connect(memory.ClientConfig{ID: "svc", Identity: transport.Identity{Cloud: true}})
	if _, err := cloud.New(cc, cloud.Config{}); err == nil {
		t.Fatal("New without a store succeeded")
	}
	if _, err := cloud.New(cc, cloud.Config{Store: store.NewMemory(twin.Limits{}), Group: "a/b"}); err == nil {
		t.Fatal("New with a bad group succeeded")
	}
	if _, err := cloud.New(cc, cloud.Config{Store: store.NewMemory(twin.Limits{}), Limits: twin.Limits{MaxDepth: -1}}); !errors.Is(err, twin.ErrInvalidLimits) {
		t.Fatalf("New with bad limits: %v", err)
	}
}

func mustObj(t testing.TB, s string) twin.Value {
	v, err := twin.ParseObject([]byte(s), twin.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func decodeDelta(b []byte) (uint64, string, error) {
	v, err := twin.ParseObject(b, twin.Limits{})
	if err != nil {
		return 0, "", err
	}
	n, _ := v.Lookup("version")
	ver, _ := n.AsUint64()
	st, _ := v.Lookup("state")
	return ver, st.String(), nil
}

func TestQuery(t *testing.T) {
	_, svc, _, st := setupStore(t)
	ctx := context.Background()
	for i, fw := range []string{"2.1.0", "2.0.0", ""} {
		dev := "dev-" + string(rune('a'+i))
		if _, err := svc.UpdateDesired(ctx, dev, "fw", mustObj(t, `{"firmware":{"version":"2.1.0"}}`), 0); err != nil {
			t.Fatal(err)
		}
		if fw != "" {
			// Reported is the device's: write it the way a device would, through the store.
			d, _ := svc.Get(ctx, dev, "fw")
			d.Apply(twin.Update{Section: twin.Reported, Patch: mustObj(t, `{"firmware":{"version":"`+fw+`"}}`), Time: time.Now()})
			if _, err := st.CompareAndSet(ctx, dev, "fw", 1, d.AppendJSON(nil)); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := svc.Query(ctx, store.Query{Where: []store.Predicate{{Section: twin.Reported, Path: twin.Path{"firmware", "version"}, Op: store.OpNotEqual, Value: twin.StringOf("2.1.0")}}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tw := range got {
		names = append(names, tw.Device+"@"+strconv.FormatUint(tw.Document.Version(), 10))
	}
	if strings.Join(names, ",") != "dev-b@2,dev-c@1" {
		t.Fatalf("Query: %v", names)
	}
	// The file store has no query.
	b := memory.NewBroker(memory.Options{})
	defer b.Close()
	cc, _ := b.Connect(memory.ClientConfig{ID: "svc2", Identity: transport.Identity{Cloud: true}})
	f, err := store.OpenFile(t.TempDir(), store.FileOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	svc2, _ := cloud.New(cc, cloud.Config{Store: f})
	if _, err := svc2.Query(ctx, store.Query{}); !errors.Is(err, cloud.ErrQueryUnsupported) {
		t.Fatalf("Query on a file store: %v", err)
	}
}
