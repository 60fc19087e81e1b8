package transport

import "sync"

// Mailbox is the handler queue transport implementations put between their network reader and
// the subscription handlers (see the delivery contract in the package documentation): Put never
// waits for a handler, and one drainer goroutine — started when a message arrives and gone when
// the queue is empty, so an idle client costs no goroutine — hands messages to Dispatch in
// arrival order.
//
// Put blocks only when Limit messages are already queued (back-pressure on a flood the handlers
// cannot keep up with) and returns false once the mailbox is closed. PutNow never blocks: a
// transport uses it when blocking its reader could deadlock (someone waits for an acknowledgement
// that only the reader can deliver).
type Mailbox struct {
	// Dispatch is called for each message, from the drainer goroutine. Required.
	Dispatch func(*Message)
	// Limit bounds the queue (default 1024).
	Limit int

	mu      sync.Mutex
	notFull *sync.Cond
	q       []*Message
	head    int
	running bool
	closing bool // Close is draining: accept nothing new, deliver what is queued
	closed  bool
	wg      sync.WaitGroup
}

// Put queues m for Dispatch.
func (b *Mailbox) Put(m *Message) bool { return b.put(m, true) }

// PutNow queues m for Dispatch without waiting for room.
func (b *Mailbox) PutNow(m *Message) bool { return b.put(m, false) }

func (b *Mailbox) put(m *Message, wait bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.notFull == nil {
		b.notFull = sync.NewCond(&b.mu)
	}
	limit := b.Limit
	if limit <= 0 {
		limit = 1024
	}
	for wait && len(b.q)-b.head >= limit && !b.closed && !b.closing {
		b.notFull.Wait()
	}
	if b.closed || b.closing {
		return false
	}
	b.q = append(b.q, m)
	if !b.running {
		b.running = true
		b.wg.Add(1)
		go b.drain()
	}
	return true
}

// Len returns the number of queued messages.
func (b *Mailbox) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.q) - b.head
}

func (b *Mailbox) drain() {
	defer b.wg.Done()
	for {
		b.mu.Lock()
		if b.head == len(b.q) {
			clear(b.q)
			b.q, b.head, b.running = b.q[:0], 0, false
			if cap(b.q) > 4096 {
				b.q = nil
			}
			b.mu.Unlock()
			return
		}
		m := b.q[b.head]
		b.q[b.head] = nil
		b.head++
		if b.notFull != nil {
			b.notFull.Signal()
		}
		b.mu.Unlock()
		b.Dispatch(m)
	}
}

// Close stops accepting messages, lets the handlers finish every message already queued (a
// transport may have acknowledged them), and waits for the drainer to exit. It is idempotent.
// Calling it from a handler deadlocks: close from another goroutine.
func (b *Mailbox) Close() {
	b.mu.Lock()
	b.closing = true
	if b.notFull != nil {
		b.notFull.Broadcast()
	}
	b.mu.Unlock()
	b.wg.Wait()
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
}

// Wait blocks until the queue is empty and no Dispatch is running (for tests and orderly
// shutdowns that want to let handlers finish).
func (b *Mailbox) Wait() {
	b.wg.Wait()
}
