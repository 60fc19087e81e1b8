package transport

import "sync"

// Router keeps a client's subscriptions and routes each inbound message to the handlers whose
// filter matches it. Transport implementations share it.
//
// A message that matches no handler is held (up to HoldLimit, oldest dropped first) instead of
// being discarded: a resumed MQTT session delivers its queued messages right after the connection
// is accepted, often before the application has re-registered its handlers. Add returns the held
// messages the new subscription matches, for the transport to queue for delivery.
type Router struct {
	// HoldLimit bounds the held messages (default 1000; negative: hold nothing).
	HoldLimit int

	mu     sync.Mutex
	routes []*Route
	held   []*Message
	unheld uint64
}

// Route is one subscription in a Router.
type Route struct {
	Filter  string
	QoS     QoS
	Handler Handler
}

// Add registers a route and returns the held messages it matches (removed from the hold).
func (r *Router) Add(rt *Route) []*Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes = append(r.routes, rt)
	var out []*Message
	kept := r.held[:0]
	for _, m := range r.held {
		if Match(rt.Filter, m.Topic) {
			out = append(out, m)
		} else {
			kept = append(kept, m)
		}
	}
	clear(r.held[len(kept):])
	r.held = kept
	return out
}

// Remove unregisters rt and reports whether it was registered, and whether another route still
// uses the same filter (the transport then keeps the broker subscription).
func (r *Router) Remove(rt *Route) (removed, filterInUse bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.routes {
		if x == rt {
			r.routes = append(r.routes[:i:i], r.routes[i+1:]...)
			removed = true
			break
		}
	}
	for _, x := range r.routes {
		if x.Filter == rt.Filter {
			filterInUse = true
		}
	}
	return removed, filterInUse
}

// Routes returns the registered routes in registration order.
func (r *Router) Routes() []*Route {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Route(nil), r.routes...)
}

// Dispatch calls every matching handler with m, or holds m if none matches.
func (r *Router) Dispatch(m *Message) {
	r.mu.Lock()
	var hs []Handler
	for _, x := range r.routes {
		if Match(x.Filter, m.Topic) {
			hs = append(hs, x.Handler)
		}
	}
	if len(hs) == 0 {
		limit := r.HoldLimit
		if limit == 0 {
			limit = 1000
		}
		if limit > 0 {
			if len(r.held) >= limit {
				r.held = r.held[1:]
				r.unheld++
			}
			r.held = append(r.held, m)
		} else {
			r.unheld++
		}
	}
	r.mu.Unlock()
	for _, h := range hs {
		h(m)
	}
}

// Unrouted counts messages discarded because no handler matched and the hold was full.
func (r *Router) Unrouted() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unheld
}
