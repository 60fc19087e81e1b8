package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/twin"
)

// Sentinel errors: test with errors.Is.
var (
	// ErrRejected: the cloud service refused a request. Detail: *RejectedError.
	ErrRejected = errors.New("twin/device: request rejected")
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("twin/device: closed")
	// ErrType: a desired value has the wrong JSON type for a typed handler. Detail: *TypeError.
	ErrType = errors.New("twin/device: desired value has the wrong type")
	// ErrHandler: Handle was called with a bad path, twice for one path, or after Start.
	ErrHandler = errors.New("twin/device: invalid handler registration")

	errBadResponse = errors.New("twin/device: malformed response from the service")
)

// Config configures a Client. Name is required; every other zero field means its default.
type Config struct {
	// Name is the twin's name (the {name} level of fk/v1/{device}/twin/{name}/...). Required.
	Name string
	// Policy resolves reported leaves changed both locally (offline) and in the cloud meanwhile
	// (default twin.DeviceWins: the device is the authority on its own state).
	Policy twin.Policy
	// Limits are checked on the local reported state before it is sent (default: twin defaults;
	// use the service's limits).
	Limits twin.Limits
	// Now is the clock stamping local changes (default time.Now).
	Now func() time.Time
	// RequestTimeout bounds one request to the service (default 5s).
	RequestTimeout time.Duration
	// RetryInterval is the wait before retrying a failed sync or report (default 1s).
	RetryInterval time.Duration
	// Logger receives background failures (a sync that will be retried). Nil discards.
	Logger *slog.Logger
}

// Handler applies one desired value. Returning nil means applied: the client then reports the
// value at the same path and acknowledges the desired version with code 200. An error is
// acknowledged with code 400 and the error's text; the value is not reported, and the handler is
// not called again for that path until the desired version changes.
type Handler func(v twin.Value) error

// Stats count what a client did.
type Stats struct {
	Fetches     uint64 // full document fetches (connects, gaps, retries)
	Gaps        uint64 // deltas whose version skipped ahead
	Deltas      uint64 // deltas applied
	Stale       uint64 // deltas ignored as old or duplicate
	Reports     uint64 // accepted update requests
	Conflicts   uint64 // reported leaves resolved by Policy during a fetch
	Regressions uint64 // a fetch returned a lower version than seen (the twin was deleted)
}

// Client is the device side of one named twin. Its methods are safe for concurrent use.
type Client struct {
	t        transport.Client
	cfg      Config
	handlers map[string]handlerEntry

	opMu sync.Mutex // serialises requests (sync, flush)

	mu             sync.Mutex
	started        bool
	closed         bool
	local          twin.Value // the device's reported state
	stamps         twin.Value // per-leaf times of local changes not yet acknowledged
	base           twin.Value // reported state last acknowledged by the cloud
	desired        twin.Value
	desiredVersion uint64
	version        uint64 // highest document version seen
	needSync       bool
	deltas         []delta
	acks           map[string]twin.Ack
	failed         map[string]uint64 // handler path -> desired version it failed at
	stats          Stats
	onVersion      []func(uint64)

	kick   chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
	sub    *transport.Subscription
	remove func()
}

type handlerEntry struct {
	path twin.Path
	h    Handler
}

// New returns a client for twin cfg.Name of the device c is connected as (c.ID()).
func New(c transport.Client, cfg Config) (*Client, error) {
	if c == nil {
		return nil, errors.New("twin/device: New: nil transport client")
	}
	if err := transport.ValidateDeviceID(c.ID()); err != nil {
		return nil, fmt.Errorf("twin/device: transport client ID: %w", err)
	}
	if cfg.Name == "" || strings.ContainsAny(cfg.Name, "/+#") {
		return nil, fmt.Errorf("twin/device: Config.Name %q must be a non-empty topic level", cfg.Name)
	}
	if cfg.Policy != twin.DeviceWins && cfg.Policy != twin.LastWriterWins {
		return nil, fmt.Errorf("twin/device: Config.Policy %d is not a twin.Policy", cfg.Policy)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{
		t: c, cfg: cfg, handlers: map[string]handlerEntry{},
		local: twin.EmptyObject(), stamps: twin.EmptyObject(), base: twin.EmptyObject(), desired: twin.EmptyObject(),
		acks: map[string]twin.Ack{}, failed: map[string]uint64{},
		kick: make(chan struct{}, 1), done: make(chan struct{}),
	}, nil
}

// Handle registers h for the desired value at path, written with dots ("network.wifi.ssid";
// keys containing dots cannot be addressed). Register before Start.
func (c *Client) Handle(path string, h Handler) error {
	if path == "" || h == nil {
		return fmt.Errorf("%w: path and handler are required", ErrHandler)
	}
	p := twin.Path(strings.Split(path, "."))
	for i, k := range p {
		if k == "" {
			return fmt.Errorf("%w: path %q has an empty key at level %d", ErrHandler, path, i)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return fmt.Errorf("%w: Handle(%q) after Start", ErrHandler, path)
	}
	if _, dup := c.handlers[path]; dup {
		return fmt.Errorf("%w: a handler for %q is already registered", ErrHandler, path)
	}
	c.handlers[path] = handlerEntry{path: p, h: h}
	return nil
}

// OnVersion registers f to be called with every new highest document version the client sees
// (from responses, deltas and fetches). f runs on the client's goroutine and must not block.
// Register before Start.
func (c *Client) OnVersion(f func(version uint64)) {
	c.mu.Lock()
	c.onVersion = append(c.onVersion, f)
	c.mu.Unlock()
}

// Start subscribes to the twin's delta topic, watches the connection (every transition to
// Connected fetches the document and reconciles) and starts the client's goroutine.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if c.started {
		c.mu.Unlock()
		return errors.New("twin/device: Start called twice")
	}
	c.started = true
	c.needSync = true
	c.mu.Unlock()
	sub, err := c.t.Subscribe(ctx, c.topic("delta"), transport.AtLeastOnce, c.onDelta)
	if err != nil {
		return fmt.Errorf("twin/device: subscribe to deltas: %w", err)
	}
	c.sub = sub
	c.remove = c.t.OnStateChange(func(ev transport.StateEvent) {
		if ev.State == transport.Connected {
			c.mu.Lock()
			c.needSync = true
			c.mu.Unlock()
			c.poke()
		}
	})
	c.wg.Add(1)
	go c.run()
	c.poke()
	return nil
}

// Close stops the client's goroutine and unsubscribes. It does not close the transport. Unsent
// reported changes are lost with the client (keep the Client for the process lifetime).
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	started := c.started
	c.mu.Unlock()
	if !started {
		return nil
	}
	close(c.done)
	c.remove()
	c.wg.Wait()
	return c.sub.Unsubscribe(context.Background())
}

func (c *Client) topic(op string) string {
	return transport.DeviceTopic(c.t.ID(), transport.KindTwin, c.cfg.Name, op)
}

func (c *Client) poke() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// onDelta queues a delta for the client's goroutine (the transport's handler goroutine never
// makes requests on the client's behalf).
func (c *Client) onDelta(m *transport.Message) {
	d, err := decodeDelta(m.Payload, c.cfg.Limits)
	if err != nil {
		c.cfg.Logger.Warn("twin delta ignored", "topic", m.Topic, "err", err)
		return
	}
	c.mu.Lock()
	c.deltas = append(c.deltas, d)
	c.mu.Unlock()
	c.poke()
}

// Reported returns the device's current reported state (including changes not yet sent).
func (c *Client) Reported() twin.Value {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.local
}

// Desired returns the desired state as last seen and its version.
func (c *Client) Desired() (twin.Value, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.desired, c.desiredVersion
}

// Version returns the highest document version seen.
func (c *Client) Version() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// Pending reports whether reported changes or acknowledgements are waiting to be sent.
func (c *Client) Pending() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pendingLocked()
}

// Synced reports whether nothing is pending and no fetch or delta is outstanding.
func (c *Client) Synced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.pendingLocked() && !c.needSync && len(c.deltas) == 0
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

func (c *Client) pendingLocked() bool {
	return len(c.acks) > 0 || !twin.Equal(c.base, c.local)
}

// Report merges patch (an RFC 7396 merge patch object) into the device's reported state and
// sends the accumulated change. While offline the change is kept, coalesced with later ones into
// one patch (twin.Diff from the last acknowledged state), sent on reconnect, and Report returns
// nil. A patch that is not an object or would break the limits fails at once and changes
// nothing; a patch the service rejects fails with a *RejectedError and is rolled back locally.
func (c *Client) Report(ctx context.Context, patch twin.Value) error {
	if patch.Kind() != twin.Object {
		return fmt.Errorf("twin/device: Report: %w: the patch is a %s", twin.ErrNotObject, patch.Kind())
	}
	now := c.cfg.Now()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	nl := twin.Merge(c.local, patch)
	if err := c.cfg.Limits.Check(nl, "reported"); err != nil {
		c.mu.Unlock()
		return fmt.Errorf("twin/device: Report: %w", err)
	}
	c.local = nl
	c.stamps = twin.Merge(c.stamps, twin.StampPatch(patch, now).Stamps)
	started := c.started
	c.mu.Unlock()
	if !started || c.t.State() != transport.Connected {
		return nil
	}
	if !c.opMu.TryLock() {
		// A sync or flush is under way (or Report was called from a handler): the client's
		// goroutine sends the change when it is done.
		c.poke()
		return nil
	}
	defer c.opMu.Unlock()
	err := c.flush(ctx)
	if err != nil && !errors.Is(err, ErrRejected) {
		c.poke() // kept pending; the client's goroutine retries
		return nil
	}
	return err
}

// ReportJSON is Report with the patch as JSON (parsed strictly under Config.Limits).
func (c *Client) ReportJSON(ctx context.Context, patch []byte) error {
	p, err := twin.ParseObject(patch, c.cfg.Limits)
	if err != nil {
		return fmt.Errorf("twin/device: Report: %w", err)
	}
	return c.Report(ctx, p)
}

// Sync fetches the document and reconciles now (the client also does this on every connect).
func (c *Client) Sync(ctx context.Context) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	return c.sync(ctx)
}

// run is the client's goroutine: it fetches when needed, applies deltas, flushes reports, and
// retries after RetryInterval while something is left to do.
func (c *Client) run() {
	defer c.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	var retry <-chan time.Time
	for {
		select {
		case <-c.done:
			return
		case <-c.kick:
		case <-retry:
		}
		retry = nil
		if c.t.State() != transport.Connected {
			continue // the Connected event pokes us
		}
		if err := c.step(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			c.cfg.Logger.Debug("twin sync will be retried", "device", c.t.ID(), "twin", c.cfg.Name, "err", err)
			retry = time.After(c.cfg.RetryInterval)
		}
	}
}

// step does one round of work: a fetch if needed, the queued deltas, then a flush.
func (c *Client) step(ctx context.Context) error {
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	need := c.needSync
	c.mu.Unlock()
	if need {
		if err := c.sync(ctx); err != nil {
			return err
		}
	}
	for {
		c.mu.Lock()
		if len(c.deltas) == 0 {
			c.mu.Unlock()
			break
		}
		d := c.deltas[0]
		c.deltas = c.deltas[1:]
		switch {
		case d.version <= c.desiredVersion:
			c.stats.Stale++
			c.mu.Unlock()
			continue
		case d.version > c.version+1:
			// Gap: a version between the last we saw and this one never reached us (it may be a
			// desired change whose delta was lost): fetch the whole document.
			c.stats.Gaps++
			c.mu.Unlock()
			if err := c.sync(ctx); err != nil {
				c.mu.Lock()
				c.deltas = append([]delta{d}, c.deltas...)
				c.needSync = true
				c.mu.Unlock()
				return err
			}
			continue
		}
		c.stats.Deltas++
		c.desired = mergeLeaves(c.desired, d.state)
		c.desiredVersion = d.version
		c.seeVersionLocked(d.version)
		c.mu.Unlock()
		c.reconcile(d.state)
	}
	c.mu.Lock()
	pending := c.pendingLocked()
	c.mu.Unlock()
	if pending {
		return c.flush(ctx)
	}
	return nil
}

// mergeLeaves sets every leaf of delta into desired (a delta only adds or changes leaves).
func mergeLeaves(desired, delta twin.Value) twin.Value { return twin.Merge(desired, delta) }

func (c *Client) seeVersionLocked(v uint64) {
	if v <= c.version {
		return
	}
	c.version = v
	for _, f := range c.onVersion {
		f(v)
	}
}

// request sends one request and decodes the response.
func (c *Client) request(ctx context.Context, op string, body []byte) (response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	resp, err := c.t.Request(ctx, &transport.Message{Topic: c.topic(op), Payload: body, ContentType: transport.ContentJSON, QoS: transport.AtLeastOnce})
	if err != nil {
		return response{}, fmt.Errorf("twin/device: %s: %w", op, err)
	}
	if err := transport.ResponseError(c.topic(op), resp); err != nil {
		return response{}, fmt.Errorf("twin/device: %s: %w", op, err)
	}
	r, err := decodeResponse(op, resp.Payload, c.cfg.Limits)
	if err != nil {
		return r, fmt.Errorf("twin/device: %s: %w", op, err)
	}
	if r.rej != nil {
		return r, r.rej
	}
	return r, nil
}

// sync fetches the document, resolves reported changes made on both sides, reconciles every
// handler against the full desired state and sends what is pending. Caller holds opMu.
func (c *Client) sync(ctx context.Context) error {
	c.mu.Lock()
	c.stats.Fetches++
	c.mu.Unlock()
	r, err := c.request(ctx, "get", nil)
	var doc *twin.Document
	switch {
	case err == nil && r.doc != nil:
		doc = r.doc
	case err == nil:
		return fmt.Errorf("twin/device: get: %w: accepted without a document", errBadResponse)
	case isNotFound(err):
		doc = &twin.Document{Name: c.cfg.Name}
	default:
		return err
	}
	c.mu.Lock()
	remote := doc.Reported()
	if !twin.Equal(remote, c.base) {
		// Reported changed in the cloud since our last acknowledged state (or this is the first
		// fetch): resolve our unsent changes against it under the policy.
		lp, err1 := twin.Diff(c.base, c.local)
		rp, err2 := twin.Diff(c.base, remote)
		if err := errors.Join(err1, err2); err != nil {
			c.mu.Unlock()
			return fmt.Errorf("twin/device: resolve: %w", err)
		}
		if conflicting(lp, rp) {
			c.stats.Conflicts++
		}
		res := twin.Resolve(twin.Stamped{Patch: lp, Stamps: c.stamps}, twin.Stamped{Patch: rp, Stamps: doc.Metadata(twin.Reported)}, c.cfg.Policy)
		c.local = twin.Merge(c.base, res.Patch)
		c.base = remote
		c.stamps = res.Stamps
	}
	if doc.Version() < c.version {
		c.stats.Regressions++
		c.version = doc.Version()
	}
	c.desired = doc.Desired()
	c.desiredVersion = doc.DesiredVersion()
	c.seeVersionLocked(doc.Version())
	c.needSync = false
	desired := c.desired
	c.mu.Unlock()
	c.reconcile(desired)
	c.mu.Lock()
	pending := c.pendingLocked()
	c.mu.Unlock()
	if pending {
		return c.flush(ctx)
	}
	return nil
}

func isNotFound(err error) bool {
	var rej *RejectedError
	return errors.As(err, &rej) && rej.Code == 404
}

// conflicting reports whether two patches set a common leaf path.
func conflicting(a, b twin.Value) bool {
	if a.Kind() != twin.Object || b.Kind() != twin.Object {
		return true
	}
	for _, m := range a.Members() {
		if bv, ok := b.Lookup(m.Key); ok && conflicting(m.Value, bv) {
			return true
		}
	}
	return false
}

// reconcile calls the handler of every path present in desired whose value differs from the
// local reported value, records the outcome as an acknowledgement and reports applied values.
func (c *Client) reconcile(desired twin.Value) {
	paths := make([]string, 0, len(c.handlers))
	for p := range c.handlers {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		he := c.handlers[p]
		v, ok := desired.Get(he.path...)
		if !ok || v.IsNull() {
			continue
		}
		c.mu.Lock()
		cur, have := c.local.Get(he.path...)
		dv := c.desiredVersion
		failedAt, failed := c.failed[p]
		c.mu.Unlock()
		if (have && twin.Equal(cur, v)) || (failed && failedAt == dv) {
			continue
		}
		err := callHandler(he.h, v)
		prop := he.path[0]
		c.mu.Lock()
		if err != nil {
			c.failed[p] = dv
			c.acks[prop] = twin.Ack{Property: prop, Code: 400, Version: dv, Description: he.path.String() + ": " + err.Error()}
		} else {
			delete(c.failed, p)
			if nl, serr := twin.Set(c.local, v, he.path...); serr == nil {
				c.local = nl
				if ns, err := twin.Set(c.stamps, twin.IntOf(c.cfg.Now().UnixMilli()), he.path...); err == nil {
					c.stamps = ns
				}
			}
			if a, ok := c.acks[prop]; !ok || a.Code == 200 || a.Version != dv {
				c.acks[prop] = twin.Ack{Property: prop, Code: 200, Version: dv, Description: "applied"}
			}
		}
		c.mu.Unlock()
	}
}

// callHandler runs h, turning a panic into an error so that one bad handler cannot kill the
// client's goroutine.
func callHandler(h Handler, v twin.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panicked: %v", r)
		}
	}()
	return h(v)
}

// flush sends Diff(base, local) and the pending acknowledgements as one update. Caller holds opMu.
func (c *Client) flush(ctx context.Context) error {
	c.mu.Lock()
	sent := c.local
	stamps := c.stamps
	patch, err := twin.Diff(c.base, sent)
	if err != nil {
		c.mu.Unlock()
		return fmt.Errorf("twin/device: report: %w", err)
	}
	acks := make([]twin.Ack, 0, len(c.acks))
	for _, a := range c.acks {
		acks = append(acks, a)
	}
	sort.Slice(acks, func(i, j int) bool { return acks[i].Property < acks[j].Property })
	c.mu.Unlock()
	if len(patch.Members()) == 0 && len(acks) == 0 {
		return nil
	}
	r, err := c.request(ctx, "update", appendUpdate(nil, patch, stamps, acks))
	c.mu.Lock()
	defer c.mu.Unlock()
	var rej *RejectedError
	if errors.As(err, &rej) && rej.Code >= 400 && rej.Code < 500 {
		// The service refused the change itself: roll the refused change back so it is not
		// retried forever, and forget the refused acks.
		c.local = c.base
		c.stamps = twin.EmptyObject()
		for _, a := range acks {
			if cur, ok := c.acks[a.Property]; ok && cur == a {
				delete(c.acks, a.Property)
			}
		}
		return err
	}
	if err != nil {
		return err
	}
	c.stats.Reports++
	c.base = twin.Merge(c.base, patch)
	if twin.Equal(c.local, sent) {
		c.stamps = twin.EmptyObject()
	}
	for _, a := range acks {
		if cur, ok := c.acks[a.Property]; ok && cur == a {
			delete(c.acks, a.Property)
		}
	}
	if r.desiredVersion > c.desiredVersion {
		c.needSync = true // a desired change we have not seen yet: fetch unless its delta comes first
		c.poke()
	}
	if r.version > c.version+1 && r.desiredVersion <= c.desiredVersion {
		c.seeVersionLocked(r.version) // only reported writes happened in between
	} else if r.version == c.version+1 {
		c.seeVersionLocked(r.version)
	}
	return nil
}
