package broker

import (
	"context"
	"errors"
	"testing"

	"github.com/eclipse/paho.golang/paho"

	"github.com/fleetkit/fleetkit/transport"
)

func TestCredentials(t *testing.T) {
	creds := Credentials{
		Cloud:   map[string]string{"svc": "s3cret"},
		Devices: map[string]string{"pump-1": "pw"},
	}
	tests := []struct {
		name string
		auth Credentials
		info ConnectInfo
		want transport.Identity
		err  error
	}{
		{"cloud", creds, ConnectInfo{Username: "svc", Password: []byte("s3cret")}, transport.Identity{ID: "svc", Cloud: true}, nil},
		{"cloud wrong password", creds, ConnectInfo{Username: "svc", Password: []byte("nope")}, transport.Identity{}, ErrBadCredentials},
		{"device", creds, ConnectInfo{Username: "pump-1", Password: []byte("pw")}, transport.Identity{ID: "pump-1"}, nil},
		{"device wrong password", creds, ConnectInfo{Username: "pump-1"}, transport.Identity{}, ErrBadCredentials},
		{"unknown user", creds, ConnectInfo{Username: "pump-2", ClientID: "pump-2"}, transport.Identity{}, ErrBadCredentials},
		{"no user", creds, ConnectInfo{ClientID: "pump-2"}, transport.Identity{}, ErrBadCredentials},
		{"allow-all device by user", AllowAll(nil), ConnectInfo{Username: "pump-2"}, transport.Identity{ID: "pump-2"}, nil},
		{"allow-all device by client ID", AllowAll(nil), ConnectInfo{ClientID: "pump-3"}, transport.Identity{ID: "pump-3"}, nil},
		{"allow-all cloud", AllowAll(map[string]string{"cloud": ""}), ConnectInfo{Username: "cloud"}, transport.Identity{ID: "cloud", Cloud: true}, nil},
		{"allow-all cloud wrong password", AllowAll(map[string]string{"cloud": ""}), ConnectInfo{Username: "cloud", Password: []byte("x")}, transport.Identity{}, ErrBadCredentials},
		{"empty user name is never cloud", Credentials{Cloud: map[string]string{"": ""}, AnyDevice: true}, ConnectInfo{ClientID: "d9"}, transport.Identity{ID: "d9"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.auth.Authenticate(context.Background(), tt.info)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("identity = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestConnectRefusals checks the CONNACK reason code of each refusal and the counter.
func TestConnectRefusals(t *testing.T) {
	b := startBroker(t, Config{Auth: Credentials{
		Cloud:     map[string]string{"svc": "s3cret"},
		AnyDevice: true,
	}})
	tests := []struct {
		name string
		cp   *paho.Connect
		code byte
	}{
		{"wrong cloud password", &paho.Connect{ClientID: "svc", Username: "svc", UsernameFlag: true,
			Password: []byte("bad"), PasswordFlag: true}, 0x86},
		{"device under another client ID", &paho.Connect{ClientID: "pump-2", Username: "pump-1", UsernameFlag: true}, 0x85},
		{"invalid device ID", &paho.Connect{ClientID: "_reserved"}, 0x87},
		{"reserved device ID prov", &paho.Connect{ClientID: "prov"}, 0x87},
		{"will outside the device prefix", &paho.Connect{ClientID: "pump-1",
			WillMessage: &paho.WillMessage{Topic: "fk/v1/pump-2/presence", QoS: 1, Payload: []byte("gone")}}, 0x87},
		{"will outside the namespace", &paho.Connect{ClientID: "pump-1",
			WillMessage: &paho.WillMessage{Topic: "status", QoS: 0, Payload: []byte("gone")}}, 0x87},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cp.CleanStart = true
			_, ca, err := dial(t, b.Addr(), nil, tt.cp)
			if err == nil {
				t.Fatal("connection accepted")
			}
			if ca == nil || ca.ReasonCode != tt.code {
				t.Fatalf("CONNACK = %+v (err %v), want reason 0x%02X", ca, err, tt.code)
			}
			if got := b.Stats().RefusedConnects; got != int64(i+1) {
				t.Fatalf("RefusedConnects = %d, want %d", got, i+1)
			}
		})
	}
	// Accepted: a device with a will on its own prefix, and the cloud with its password.
	mustDial(t, b.Addr(), &paho.Connect{ClientID: "pump-1", CleanStart: true,
		WillMessage: &paho.WillMessage{Topic: "fk/v1/pump-1/presence", Payload: []byte("gone")}})
	mustDial(t, b.Addr(), &paho.Connect{ClientID: "any", CleanStart: true, Username: "svc", UsernameFlag: true,
		Password: []byte("s3cret"), PasswordFlag: true})
	if s := b.Stats(); s.Connections != 2 || s.RefusedConnects != int64(len(tests)) {
		t.Fatalf("Stats = %+v", s)
	}
}

// TestAuthenticatorErrors maps the authenticator's errors to reason codes and hands it what
// the client sent.
func TestAuthenticatorErrors(t *testing.T) {
	var seen ConnectInfo
	b := startBroker(t, Config{Auth: AuthenticatorFunc(func(ctx context.Context, info ConnectInfo) (transport.Identity, error) {
		seen = info
		switch info.Username {
		case "bad":
			return transport.Identity{}, ErrBadCredentials
		case "other":
			return transport.Identity{}, errors.New("backend says no")
		case "nameless-cloud":
			return transport.Identity{Cloud: true}, nil
		}
		return transport.Identity{ID: info.ClientID}, nil
	})})
	for user, code := range map[string]byte{"bad": 0x86, "other": 0x87, "nameless-cloud": 0x87} {
		_, ca, err := dial(t, b.Addr(), nil, &paho.Connect{ClientID: "d1", CleanStart: true, Username: user, UsernameFlag: true,
			Password: []byte("pw"), PasswordFlag: true})
		if err == nil || ca == nil || ca.ReasonCode != code {
			t.Errorf("user %q: CONNACK %+v err %v, want 0x%02X", user, ca, err, code)
		}
	}
	if seen.ClientID != "d1" || string(seen.Password) != "pw" || seen.ProtocolVersion != 5 || seen.RemoteAddr == "" || seen.PeerCertificates != nil {
		t.Errorf("ConnectInfo = %+v", seen)
	}
}
