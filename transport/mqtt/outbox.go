package mqtt

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"github.com/fleetkit/fleetkit/transport"
)

// outboxStore is the durable FIFO behind an Outbox (see NewOutbox for the one fleetkit ships).
type outboxStore interface {
	// Append stores rec durably (per the store's sync policy) and returns its sequence number.
	Append(rec []byte) (uint64, error)
	// Ack removes seq; acknowledgements may arrive out of order.
	Ack(seq uint64) error
	// Scan calls fn for up to max unacknowledged records with sequence numbers above after,
	// oldest first.
	Scan(after uint64, max int, fn func(seq uint64, rec []byte)) error
	// Pending counts unacknowledged records.
	Pending() int
	Close() error
}

// OutboxStats counts an outbox's traffic since it was opened.
type OutboxStats struct {
	Stored  uint64 // messages Publish stored
	Sent    uint64 // transmissions (a message re-sent after a reconnect counts again)
	Acked   uint64 // acknowledged by the broker and removed
	Refused uint64 // refused by the broker (PUBACK reason >= 0x80) and removed, reported to OnRefused
	Expired uint64 // expired while stored and removed without being sent
	Corrupt uint64 // records that no longer decode, removed
	Dropped uint64 // removed by the DropOldest policy
	Pending int    // stored and not yet acknowledged
}

// Outbox makes a Client's QoS 1 publishing durable: Publish stores the message and returns, and
// the client delivers stored messages in order, up to Window in flight, whenever it is connected,
// removing each when the broker acknowledges it. What is stored survives a crash of the process
// (kill -9) and is re-sent after a restart: delivery is at least once, so receivers deduplicate
// (package dedupe). A message whose expiry passes while it waits is dropped and counted.
//
// An Outbox serves one Client at a time.
type Outbox struct {
	store     outboxStore
	log       *outboxLog // the file store behind OpenOutbox
	window    int
	onRefused func(*transport.Message, error)
	now       func() time.Time

	wake   chan struct{} // signalled on every put
	mu     sync.Mutex
	client *Client
	buf    []byte

	stored, sent, acked, refused, expired, corrupt atomic.Uint64
}

func newOutbox(store outboxStore, window int, onRefused func(*transport.Message, error)) *Outbox {
	if window <= 0 {
		window = 100
	}
	return &Outbox{store: store, window: window, onRefused: onRefused, now: time.Now, wake: make(chan struct{}, 1)}
}

func (o *Outbox) attach(c *Client) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.client != nil {
		return errors.New("mqtt: Config.Outbox is already used by another client")
	}
	o.client = c
	return nil
}

// Stats returns the outbox's counters.
func (o *Outbox) Stats() OutboxStats {
	return OutboxStats{
		Stored: o.stored.Load(), Sent: o.sent.Load(), Acked: o.acked.Load(), Refused: o.refused.Load(),
		Expired: o.expired.Load(), Corrupt: o.corrupt.Load(), Pending: o.store.Pending(),
		Dropped: uint64(o.Report().Dropped),
	}
}

// Len returns the number of stored, unacknowledged messages.
func (o *Outbox) Len() int { return o.store.Pending() }

// Close closes the store. Close the client first.
func (o *Outbox) Close() error { return o.store.Close() }

// Drain waits until the outbox is empty or ctx is done.
func (o *Outbox) Drain(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for o.store.Pending() > 0 {
		select {
		case <-ctx.Done():
			return transport.ContextError(ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

func (o *Outbox) put(m *transport.Message) error {
	o.mu.Lock()
	o.buf = encodeRecord(o.buf[:0], m, o.now())
	_, err := o.store.Append(o.buf)
	o.mu.Unlock()
	if err != nil {
		return fmt.Errorf("mqtt: outbox: publish to %q: %w", m.Topic, err)
	}
	o.stored.Add(1)
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// send delivers stored messages over one connection until it ends. It re-sends, from the oldest,
// everything not yet acknowledged.
func (o *Outbox) send(pc *paho.Client, sess *ackSession) {
	var mu sync.Mutex
	inflight := make(map[uint16]uint64, o.window)
	slots := make(chan struct{}, o.window)
	t := &ackTracker{
		acks: make(chan packets.ControlPacket, 2*o.window),
		register: func(id uint16, seq uint64) {
			mu.Lock()
			inflight[id] = seq
			mu.Unlock()
		},
	}
	msgs := make(map[uint64]*transport.Message) // for OnRefused, only while in flight
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // acknowledgement reader
		defer wg.Done()
		for {
			select {
			case <-pc.Done():
				return
			case cp := <-t.acks:
				if cp.Type != packets.PUBACK {
					continue // session closed: nothing was acknowledged
				}
				pa := cp.Content.(*packets.Puback)
				mu.Lock()
				seq, ok := inflight[pa.PacketID]
				delete(inflight, pa.PacketID)
				m := msgs[seq]
				delete(msgs, seq)
				mu.Unlock()
				if !ok {
					continue
				}
				<-slots
				if pa.ReasonCode >= 0x80 {
					o.refused.Add(1)
					if o.onRefused != nil && m != nil {
						re := &ReasonError{Packet: "PUBACK", Code: ReasonCode(pa.ReasonCode), Topic: m.Topic}
						if pa.Properties != nil {
							re.Reason = pa.Properties.ReasonString
						}
						o.onRefused(m, re)
					}
				} else {
					o.acked.Add(1)
				}
				_ = o.store.Ack(seq)
			}
		}
	}()
	defer wg.Wait()

	var after uint64
	type item struct {
		seq uint64
		rec []byte
	}
	batch := make([]item, 0, o.window)
	for {
		batch = batch[:0]
		err := o.store.Scan(after, o.window, func(seq uint64, rec []byte) {
			batch = append(batch, item{seq, rec})
		})
		if err != nil {
			o.client.cfg.Logger.Error("mqtt outbox scan failed", "err", err)
		}
		if len(batch) == 0 {
			select {
			case <-o.wake:
				continue
			case <-pc.Done():
				return
			}
		}
		for _, it := range batch {
			after = it.seq
			m, stored, err := decodeRecord(it.rec)
			if err != nil {
				o.corrupt.Add(1)
				o.client.cfg.Logger.Error("mqtt outbox: dropping unreadable record", "seq", it.seq, "err", err)
				_ = o.store.Ack(it.seq)
				continue
			}
			if m.Expiry > 0 {
				left := m.Expiry - o.now().Sub(stored)
				if left <= 0 {
					o.expired.Add(1)
					_ = o.store.Ack(it.seq)
					continue
				}
				m.Expiry = left
			}
			select {
			case slots <- struct{}{}:
			default:
				// The window is full: wait for acknowledgements, which paho's reader delivers.
				waited := false
				o.client.awaiting.Add(1)
				select {
				case slots <- struct{}{}:
				case <-pc.Done():
					waited = true
				}
				o.client.awaiting.Add(-1)
				if waited {
					return
				}
			}
			if o.onRefused != nil {
				mu.Lock()
				msgs[it.seq] = m
				mu.Unlock()
			}
			ctx := withAck(context.Background(), t, it.seq)
			_, err = pc.PublishWithOptions(ctx, toPaho(m), paho.PublishOptions{Method: paho.PublishMethod_AsyncSend})
			if errors.Is(err, paho.ErrInvalidArguments) {
				// paho refused it against what the broker announced (retain unavailable, QoS above
				// the maximum): it can never be sent; remove it rather than block the outbox.
				<-slots
				o.refused.Add(1)
				mu.Lock()
				delete(msgs, it.seq)
				mu.Unlock()
				_ = o.store.Ack(it.seq)
				if o.onRefused != nil {
					o.onRefused(m, fmt.Errorf("%w: %w", transport.ErrRefused, err))
				}
				continue
			}
			if err != nil && !errors.Is(err, paho.ErrNetworkErrorAfterStored) {
				<-slots
				return // the connection is going away; the next one re-sends from the oldest
			}
			o.sent.Add(1)
		}
	}
}
