package broker

import (
	"context"
	"errors"
	"testing"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/fleetkit/fleetkit/transport"
)

// FuzzAdmit drives the connection admission path (authenticator, identity rules, will check)
// with arbitrary CONNECT fields: it never panics, and anything admitted satisfies the
// namespace rule.
func FuzzAdmit(f *testing.F) {
	f.Add("pump-1", "pump-1", "", "fk/v1/pump-1/presence", true)
	f.Add("pump-1", "", "", "fk/v1/pump-2/presence", true)
	f.Add("svc", "cloud", "", "#", true)
	f.Add("_x", "", "", "", false)
	f.Add("prov", "prov", "", "fk/v1/prov/x", true)
	f.Add("a/b", "a/b", "pw", "fk/v1/a/b/x", true)
	f.Add("d\x00", "", "", "fk/v1/d\x00/x", true)
	auth := AllowAll(map[string]string{"cloud": ""})
	f.Fuzz(func(t *testing.T, clientID, user, password, willTopic string, will bool) {
		info := ConnectInfo{ClientID: clientID, Username: user, Password: []byte(password), ProtocolVersion: 5}
		id, err := auth.Authenticate(context.Background(), info)
		if err != nil {
			if !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("Authenticate error %v does not match ErrBadCredentials", err)
			}
			return
		}
		pk := packets.Packet{Connect: packets.ConnectParams{ClientIdentifier: clientID, WillFlag: will, WillTopic: willTopic}}
		code, err := admit(id, pk)
		if err != nil {
			if code.Code < 0x80 {
				t.Fatalf("refusal with success code 0x%02X", code.Code)
			}
			return
		}
		if !id.Cloud {
			if transport.ValidateDeviceID(id.ID) != nil || clientID != id.ID {
				t.Fatalf("admitted device %q with client ID %q", id.ID, clientID)
			}
		}
		if will && transport.Authorize(id, transport.ActionPublish, willTopic) != nil {
			t.Fatalf("admitted %+v with will topic %q", id, willTopic)
		}
	})
}
