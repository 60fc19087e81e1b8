package broker

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/fleetkit/fleetkit/transport"
)

// hook connects the broker to mochi: authentication, the namespace ACL, counters and the
// flow-control workaround. It is the broker's only mochi hook.
type hook struct {
	mqtt.HookBase
	b *Broker
}

func (h *hook) ID() string { return "fleetkit" }

func (h *hook) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnSubscribed,
		mqtt.OnDisconnect, mqtt.OnClientExpired, mqtt.OnPacketRead, mqtt.OnPacketEncode:
		return true
	}
	return false
}

// RefusalError says why a connection was refused and with which CONNACK reason code. The broker
// logs it; the client sees the code (and, on MQTT v5, mochi's reason string).
type RefusalError struct {
	ClientID string
	Code     byte  // CONNACK reason code (MQTT v5; mochi maps it for v3.1.1 clients)
	Err      error // the cause, from the Authenticator or the identity rules
}

func (e *RefusalError) Error() string {
	return fmt.Sprintf("broker: connection of client %q refused with reason 0x%02X: %v", e.ClientID, e.Code, e.Err)
}

func (e *RefusalError) Unwrap() error { return e.Err }

// OnConnect authenticates the client, checks its identity against the namespace rules and, if
// all is well, records the identity and takes over its flow control. A refusal answers CONNACK
// with the reason code and closes the connection.
func (h *hook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	b := h.b
	info := ConnectInfo{
		ClientID:        pk.Connect.ClientIdentifier,
		Username:        string(pk.Connect.Username),
		Password:        bytes.Clone(pk.Connect.Password),
		RemoteAddr:      cl.Net.Remote,
		ProtocolVersion: cl.Properties.ProtocolVersion,
	}
	if tc, ok := cl.Net.Conn.(*tls.Conn); ok {
		cs := tc.ConnectionState()
		info.PeerCertificates, info.VerifiedChains = cs.PeerCertificates, cs.VerifiedChains
	}
	id, err := b.cfg.Auth.Authenticate(b.ctx, info)
	code := packets.ErrNotAuthorized
	switch {
	case errors.Is(err, ErrBadCredentials):
		code = packets.ErrBadUsernameOrPassword
	case err == nil:
		code, err = admit(id, pk)
	}
	if err != nil {
		b.refusedConnects.Add(1)
		rerr := &RefusalError{ClientID: info.ClientID, Code: code.Code, Err: err}
		b.cfg.Logger.Info("broker: connection refused", "client", info.ClientID, "remote", info.RemoteAddr,
			"code", code.Code, "err", err)
		_ = b.srv.SendConnack(cl, connackCode(code, cl.Properties.ProtocolVersion), false, nil)
		return rerr
	}
	b.ids.set(cl, id)
	if st := b.conns.get(cl.Net.Conn); st != nil && !b.mochiFlowControl {
		takeFlowControl(cl, st)
	}
	return nil
}

// connackCode picks the code to hand mochi's SendConnack, which translates v5 codes for v3.1.1
// clients through its own table. That table maps 0x86 to v3 0x05 (Not authorized) and lacks 0x87,
// so for v3.1.1 the broker passes the v5 code whose translation is the right v3 return code:
// 0x04 Bad user name or password, 0x05 Not authorized, 0x02 Identifier rejected.
func connackCode(code packets.Code, version byte) packets.Code {
	if version >= 5 {
		return code
	}
	switch code.Code {
	case packets.ErrBadUsernameOrPassword.Code:
		return packets.ErrMalformedUsername // → 0x04
	case packets.ErrNotAuthorized.Code:
		return packets.ErrBadUsernameOrPassword // → 0x05
	}
	return code // 0x85 → 0x02
}

// admit applies the identity rules: a device identity must be a valid device ID and connect
// with that ID as its MQTT client ID (so it cannot take over another device's session), and a
// will message must be one the identity may publish.
func admit(id transport.Identity, pk packets.Packet) (packets.Code, error) {
	if id.Cloud {
		if id.ID == "" {
			return packets.ErrNotAuthorized, errors.New("authenticator returned a cloud identity with an empty name")
		}
	} else {
		if err := transport.ValidateDeviceID(id.ID); err != nil {
			return packets.ErrNotAuthorized, fmt.Errorf("identity is not a valid device ID: %w", err)
		}
		if pk.Connect.ClientIdentifier != id.ID {
			return packets.ErrClientIdentifierNotValid,
				fmt.Errorf("device %q must connect with client ID %q, not %q", id.ID, id.ID, pk.Connect.ClientIdentifier)
		}
	}
	if pk.Connect.WillFlag {
		if err := transport.Authorize(id, transport.ActionPublish, pk.Connect.WillTopic); err != nil {
			return packets.ErrNotAuthorized, fmt.Errorf("will message: %w", err)
		}
	}
	return packets.CodeSuccess, nil
}

// OnConnectAuthenticate accepts: OnConnect has already refused anyone it does not admit.
func (h *hook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

// OnACLCheck is mochi's one authorization question, asked for a PUBLISH (write), a subscription
// filter and each delivery of a message to a subscriber (topic name, not write). Every answer
// is transport.Authorize.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	id, ok := h.b.ids.get(cl.ID)
	if !ok {
		return false
	}
	act := transport.ActionSubscribe
	if write {
		act = transport.ActionPublish
	}
	err := transport.Authorize(id, act, topic)
	if err != nil && write {
		h.b.refusedPublishes.Add(1)
		h.b.cfg.Logger.Debug("broker: publish refused", "client", cl.ID, "err", err)
	}
	return err == nil
}

// OnSubscribed counts the filters refused with 0x87.
func (h *hook) OnSubscribed(cl *mqtt.Client, _ packets.Packet, codes []byte) {
	for _, c := range codes {
		if c == packets.ErrNotAuthorized.Code {
			h.b.refusedSubscribes.Add(1)
		}
	}
}

// OnDisconnect forgets the identity of a session that ends with its connection.
func (h *hook) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if expire && !cl.IsTakenOver() {
		h.b.ids.remove(cl)
	}
}

// OnClientExpired forgets the identity of an expired session.
func (h *hook) OnClientExpired(cl *mqtt.Client) { h.b.ids.remove(cl) }

// OnPacketRead returns flow-control quota on PUBACK.
func (h *hook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if st := h.b.conns.get(cl.Net.Conn); st != nil {
		st.afterRead(pk)
	}
	return pk, nil
}

// OnPacketEncode holds a QoS 1 PUBLISH until the client's Receive Maximum allows it.
func (h *hook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if st := h.b.conns.get(cl.Net.Conn); st != nil {
		return st.beforeWrite(pk)
	}
	return pk
}

// identities maps a session's client ID to the identity it authenticated as. Sessions outlive
// connections (deliveries to an offline session are still authorized), so the table is keyed by
// client ID and an entry is removed only by the client that owns it.
type identities struct {
	mu sync.RWMutex
	m  map[string]owned
}

type owned struct {
	id    transport.Identity
	owner *mqtt.Client
}

func newIdentities() *identities { return &identities{m: map[string]owned{}} }

func (t *identities) set(cl *mqtt.Client, id transport.Identity) {
	t.mu.Lock()
	t.m[cl.ID] = owned{id, cl}
	t.mu.Unlock()
}

func (t *identities) get(clientID string) (transport.Identity, bool) {
	t.mu.RLock()
	o, ok := t.m[clientID]
	t.mu.RUnlock()
	return o.id, ok
}

func (t *identities) remove(cl *mqtt.Client) {
	t.mu.Lock()
	if o, ok := t.m[cl.ID]; ok && o.owner == cl {
		delete(t.m, cl.ID)
	}
	t.mu.Unlock()
}
