package cloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/store"
)

// Sentinel errors: test with errors.Is. Twin errors (twin.ErrConflict, twin.ErrLimit, ...) and
// store errors pass through wrapped.
var (
	// ErrBadRequest: a request body is malformed. Detail: *RequestError.
	ErrBadRequest = errors.New("twin/cloud: bad request")
	// ErrForbidden: a device named another device in its body, or wrote its desired section.
	ErrForbidden = errors.New("twin/cloud: forbidden")
	// ErrNotFound: the twin does not exist (also matches store.ErrNotFound).
	ErrNotFound = store.ErrNotFound
	// ErrBadTopic: a request arrived on a topic that is not fk/v1/{device}/twin/{name}/{op}.
	ErrBadTopic = errors.New("twin/cloud: not a twin request topic")
	// ErrCASExhausted: a write lost the compare-and-set race MaxRetries times in a row.
	ErrCASExhausted = errors.New("twin/cloud: too much contention on one twin")
	// ErrClosed: the service was closed.
	ErrClosed = errors.New("twin/cloud: closed")
)

// Config configures a Service. Store is required; every other zero field means its default.
type Config struct {
	// Store keeps the documents. Required.
	Store store.Store
	// Limits apply to every document and patch (zero: the twin defaults, Azure's 32 KB/depth 10).
	Limits twin.Limits
	// Group is the shared-subscription group (default "twin"): every Service with the same group
	// on the same broker shares the requests.
	Group string
	// Now is the clock stamping updates (default time.Now).
	Now func() time.Time
	// MaxRetries bounds the read-modify-CAS retries of one write (default 32).
	MaxRetries int
	// Logger receives failures nobody else can see (a delta that could not be published). Nil
	// discards.
	Logger *slog.Logger
}

// Service is the cloud side of twin synchronisation. Its methods are safe for concurrent use.
type Service struct {
	c     transport.Client
	cfg   Config
	mu    sync.Mutex
	subs  []*transport.Subscription
	close bool
}

// New returns a service over c (which must connect with a cloud identity) and cfg. It does not
// subscribe yet: call Start.
func New(c transport.Client, cfg Config) (*Service, error) {
	if c == nil {
		return nil, errors.New("twin/cloud: New: nil transport client")
	}
	if cfg.Store == nil {
		return nil, errors.New("twin/cloud: Config.Store is required")
	}
	if cfg.Group == "" {
		cfg.Group = "twin"
	}
	if strings.ContainsAny(cfg.Group, "/+#") {
		return nil, fmt.Errorf("twin/cloud: Config.Group %q: must be one topic level without wildcards", cfg.Group)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 32
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Limits.Check(twin.EmptyObject(), ""); err != nil {
		return nil, fmt.Errorf("twin/cloud: Config.Limits: %w", err)
	}
	return &Service{c: c, cfg: cfg}, nil
}

// Start subscribes to device requests: $share/{group}/fk/v1/+/twin/+/{get,update,delete}. It
// returns once the subscriptions are in place; they last until Close.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.close {
		return ErrClosed
	}
	if len(s.subs) > 0 {
		return errors.New("twin/cloud: Start called twice")
	}
	for _, op := range []string{OpGet, OpUpdate, OpDelete} {
		filter := "$share/" + s.cfg.Group + "/" + transport.DeviceTopic("+", transport.KindTwin, "+", op)
		sub, err := transport.Respond(context.WithoutCancel(ctx), s.c, filter, transport.AtLeastOnce, s.serve)
		if err != nil {
			for _, x := range s.subs {
				x.Unsubscribe(ctx)
			}
			s.subs = nil
			return fmt.Errorf("twin/cloud: subscribe %s: %w", filter, err)
		}
		s.subs = append(s.subs, sub)
	}
	return nil
}

// Close unsubscribes. It does not close the transport client or the store. It is idempotent.
func (s *Service) Close() error {
	s.mu.Lock()
	subs := s.subs
	s.subs, s.close = nil, true
	s.mu.Unlock()
	var first error
	for _, x := range subs {
		if err := x.Unsubscribe(context.Background()); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// parseRequestTopic splits fk/v1/{device}/twin/{name}/{op}.
func parseRequestTopic(topic string) (device, name, op string, err error) {
	t, err := transport.ParseTopic(topic)
	if err != nil {
		return "", "", "", fmt.Errorf("%w: %w", ErrBadTopic, err)
	}
	lv := t.Levels()
	if t.Kind != transport.KindTwin || len(lv) != 2 {
		return "", "", "", fmt.Errorf("%w: %q (want fk/v1/{device}/twin/{name}/{op})", ErrBadTopic, topic)
	}
	if err := store.ValidateKey(t.Device, lv[0]); err != nil || lv[0] == "" {
		return "", "", "", fmt.Errorf("%w: %q: twin name: %v", ErrBadTopic, topic, err)
	}
	return t.Device, lv[0], lv[1], nil
}

// serve answers one device request. It always answers with a JSON body (accepted or rejected);
// it never returns an error to transport.Respond.
func (s *Service) serve(ctx context.Context, req *transport.Message) (*transport.Message, error) {
	body := s.handle(ctx, req)
	return &transport.Message{Payload: body, ContentType: transport.ContentJSON}, nil
}

func (s *Service) handle(ctx context.Context, req *transport.Message) []byte {
	device, name, op, err := parseRequestTopic(req.Topic)
	if err != nil {
		return appendRejected(nil, "", 0, rejection(err))
	}
	r, err := DecodeRequest(op, req.Payload, s.cfg.Limits)
	if err != nil {
		return appendRejected(nil, r.ClientToken, 0, rejection(err))
	}
	if r.Device != "" && r.Device != device {
		err := fmt.Errorf("%w: body names device %q but the request came from %q; a device can only touch its own twins", ErrForbidden, r.Device, device)
		return appendRejected(nil, r.ClientToken, 0, rejection(err))
	}
	switch op {
	case OpGet:
		doc, err := s.Get(ctx, device, name)
		if err != nil {
			return appendRejected(nil, r.ClientToken, 0, rejection(err))
		}
		return appendAccepted(nil, r.ClientToken, doc, true)
	case OpDelete:
		if err := s.delete(ctx, device, name, r.HasVersion, r.Version); err != nil {
			return appendRejected(nil, r.ClientToken, currentVersion(err), rejection(err))
		}
		return []byte(`{"status":"accepted"` + string(appendToken(nil, r.ClientToken)) + `}`)
	default: // OpUpdate: DecodeRequest refused anything else
		if !r.Desired.IsNull() {
			err := fmt.Errorf("%w: state.desired: a device updates only its reported section (desired is written by the cloud)", ErrForbidden)
			return appendRejected(nil, r.ClientToken, 0, rejection(err))
		}
		patch := r.Reported
		if patch.IsNull() {
			patch = twin.EmptyObject()
		}
		u := twin.Update{Section: twin.Reported, Patch: patch, Stamps: r.Stamps, Acks: r.Acks, CheckVersion: r.HasVersion, Version: r.Version, ClientToken: r.ClientToken}
		_, doc, err := s.write(ctx, device, name, u)
		if err != nil {
			return appendRejected(nil, r.ClientToken, currentVersion(err), rejection(err))
		}
		return appendAccepted(nil, r.ClientToken, doc, false)
	}
}

// currentVersion extracts the current version from a conflict, so a rejected response can tell
// the device where the twin is.
func currentVersion(err error) uint64 {
	var ce *twin.ConflictError
	if errors.As(err, &ce) {
		return ce.Current
	}
	var se *store.ConflictError
	if errors.As(err, &se) {
		return se.Current
	}
	return 0
}

// Get returns the document of (device, name). A missing twin fails with ErrNotFound.
func (s *Service) Get(ctx context.Context, device, name string) (*twin.Document, error) {
	doc, _, err := s.load(ctx, device, name)
	if err != nil {
		return nil, err
	}
	if doc.Version() == 0 {
		return nil, store.NotFound(device, name)
	}
	return doc, nil
}

// load reads a document; a missing one is an empty document at store version 0.
func (s *Service) load(ctx context.Context, device, name string) (*twin.Document, uint64, error) {
	rec, err := s.cfg.Store.Get(ctx, device, name)
	if errors.Is(err, store.ErrNotFound) {
		return &twin.Document{Name: name, Limits: s.cfg.Limits}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	doc, err := twin.ParseDocument(rec.Doc, s.cfg.Limits)
	if err != nil {
		return nil, 0, fmt.Errorf("twin/cloud: stored document %s/%s: %w", device, name, err)
	}
	if doc.Version() != rec.Version {
		return nil, 0, fmt.Errorf("twin/cloud: stored document %s/%s: document version %d differs from store version %d", device, name, doc.Version(), rec.Version)
	}
	return doc, rec.Version, nil
}

// UpdateDesired applies a desired merge patch to (device, name), creating the twin if needed,
// and publishes the delta to the device when desired changed. expected > 0 makes it a
// compare-and-set: a twin at another version fails with twin.ErrConflict (a *twin.ConflictError
// with the current version). expected == 0 applies the patch to whatever version is current.
func (s *Service) UpdateDesired(ctx context.Context, device, name string, patch twin.Value, expected uint64) (twin.Result, error) {
	u := twin.Update{Section: twin.Desired, Patch: patch, CheckVersion: expected > 0, Version: expected}
	res, _, err := s.write(ctx, device, name, u)
	return res, err
}

// UpdateDesiredJSON is UpdateDesired with the patch as JSON bytes (parsed strictly under the
// configured limits).
func (s *Service) UpdateDesiredJSON(ctx context.Context, device, name string, patch []byte, expected uint64) (twin.Result, error) {
	p, err := twin.ParseObject(patch, s.cfg.Limits)
	if err != nil {
		return twin.Result{}, err
	}
	return s.UpdateDesired(ctx, device, name, p, expected)
}

// Delete removes (device, name). expected > 0 makes it a compare-and-set.
func (s *Service) Delete(ctx context.Context, device, name string, expected uint64) error {
	return s.delete(ctx, device, name, expected > 0, expected)
}

func (s *Service) delete(ctx context.Context, device, name string, check bool, expected uint64) error {
	if err := store.ValidateKey(device, name); err != nil {
		return err
	}
	var exp uint64
	if check {
		if expected == 0 {
			return fmt.Errorf("%w: version 0 names no twin", twin.ErrInvalidUpdate)
		}
		exp = expected
	}
	err := s.cfg.Store.Delete(ctx, device, name, exp)
	var se *store.ConflictError
	if errors.As(err, &se) {
		return &twin.ConflictError{Expected: se.Expected, Current: se.Current}
	}
	if err != nil {
		return err
	}
	s.notify(ctx, device, name, "deleted", &twin.Document{Name: name})
	return nil
}

// write is read-modify-CAS-retry: the stored document changes only when Apply accepted the
// update and the compare-and-set succeeded; every error leaves it as it was.
func (s *Service) write(ctx context.Context, device, name string, u twin.Update) (twin.Result, *twin.Document, error) {
	if err := store.ValidateKey(device, name); err != nil {
		return twin.Result{}, nil, err
	}
	if name == "" {
		return twin.Result{}, nil, &store.KeyError{Field: "name", Value: name, Index: -1, Rule: "the service serves named twins; name must not be empty"}
	}
	for attempt := 0; attempt < s.cfg.MaxRetries; attempt++ {
		doc, sv, err := s.load(ctx, device, name)
		if err != nil {
			return twin.Result{}, nil, err
		}
		u.Time = s.cfg.Now()
		res, err := doc.Apply(u)
		if err != nil {
			return twin.Result{}, nil, err
		}
		_, err = s.cfg.Store.CompareAndSet(ctx, device, name, sv, doc.AppendJSON(nil))
		if errors.Is(err, store.ErrConflict) {
			continue // someone else wrote meanwhile: re-read and re-apply
		}
		if err != nil {
			return twin.Result{}, nil, err
		}
		s.publish(ctx, device, name, u.Section, doc, res)
		return res, doc, nil
	}
	return twin.Result{}, nil, fmt.Errorf("%w: %s/%s: %d compare-and-set attempts lost", ErrCASExhausted, device, name, s.cfg.MaxRetries)
}

// publish sends the delta (desired changed) and the changed notification. Failures are logged:
// the write is durable and devices catch up by fetching on (re)connect.
func (s *Service) publish(ctx context.Context, device, name string, sec twin.Section, doc *twin.Document, res twin.Result) {
	if !res.Changed {
		return
	}
	if sec == twin.Desired {
		m := &transport.Message{
			Topic:       transport.DeviceTopic(device, transport.KindTwin, name, OpDelta),
			Payload:     doc.AppendDeltaJSON(nil),
			ContentType: transport.ContentJSON,
			QoS:         transport.AtLeastOnce,
		}
		if err := s.c.Publish(ctx, m); err != nil {
			s.cfg.Logger.Warn("twin delta not published; the device will catch up on reconnect",
				"device", device, "twin", name, "version", doc.Version(), "err", err)
		}
	}
	s.notify(ctx, device, name, sec.String(), doc)
}

func (s *Service) notify(ctx context.Context, device, name, section string, doc *twin.Document) {
	m := &transport.Message{
		Topic:       ChangedTopic(device, name),
		Payload:     appendChanged(nil, device, name, section, doc),
		ContentType: transport.ContentJSON,
		QoS:         transport.AtLeastOnce,
	}
	if err := s.c.Publish(ctx, m); err != nil {
		s.cfg.Logger.Warn("twin change notification not published", "device", device, "twin", name, "err", err)
	}
}

// ChangedTopic is where the change notifications of (device, name) are published:
// fk/v1/_twin/changed/{device}/{name}. It lies outside every device's fk/v1/{device}/ prefix
// (device IDs never start with '_'), so no device can forge a notification.
func ChangedTopic(device, name string) string {
	return transport.Namespace + "/_twin/" + OpChanged + "/" + device + "/" + name
}

// ChangedFilter is the topic filter a cloud subscriber uses for the change notifications of
// every twin: fk/v1/_twin/changed/#.
func ChangedFilter() string { return transport.Namespace + "/_twin/" + OpChanged + "/#" }

// ErrQueryUnsupported: the configured store does not implement store.Querier (the file store).
var ErrQueryUnsupported = errors.New("twin/cloud: the store does not support fleet queries")

// Query finds twins with the store's fleet query (store.Querier: the memory and PostgreSQL
// stores) and returns their documents, sorted by device and name — for example every twin whose
// reported.firmware.version is not "2.1.0". A stored document that no longer parses fails the
// query with an error naming it.
func (s *Service) Query(ctx context.Context, q store.Query) ([]Twin, error) {
	qr, ok := s.cfg.Store.(store.Querier)
	if !ok {
		return nil, fmt.Errorf("%w (%T)", ErrQueryUnsupported, s.cfg.Store)
	}
	recs, err := qr.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]Twin, 0, len(recs))
	for _, r := range recs {
		doc, err := twin.ParseDocument(r.Doc, s.cfg.Limits)
		if err != nil {
			return nil, fmt.Errorf("twin/cloud: stored document %s/%s: %w", r.Device, r.Name, err)
		}
		out = append(out, Twin{Device: r.Device, Name: r.Name, Document: doc})
	}
	return out, nil
}

// Twin is one query result: a device's named twin and its document.
type Twin struct {
	Device, Name string
	Document     *twin.Document
}
