package broker

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/fleetkit/fleetkit/transport"
)

// ConnectInfo is what a connecting client presented, for an Authenticator.
type ConnectInfo struct {
	// ClientID is the MQTT client identifier from CONNECT ("" if the client asked the broker to
	// assign one).
	ClientID string
	// Username and Password are from CONNECT (empty when absent).
	Username string
	Password []byte
	// PeerCertificates are the certificates the client presented on the TLS listener, leaf
	// first; nil on the plain listener. They are not necessarily verified: see VerifiedChains.
	PeerCertificates []*x509.Certificate
	// VerifiedChains are the chains the TLS configuration verified (ClientAuth
	// VerifyClientCertIfGiven or RequireAndVerifyClientCert); empty when nothing was verified.
	VerifiedChains [][]*x509.Certificate
	// RemoteAddr is the client's network address.
	RemoteAddr string
	// ProtocolVersion is 5 for MQTT v5, 4 for v3.1.1.
	ProtocolVersion byte
}

// Authenticator decides who a connection is. It returns the identity the broker then authorizes
// every publish, subscribe and will message against with transport.Authorize, or an error:
// one matching ErrBadCredentials refuses the connection with CONNACK reason 0x86 (Bad user name
// or password), any other error with 0x87 (Not authorized). ctx ends when the broker closes.
// Authenticate is called concurrently from connection goroutines.
type Authenticator interface {
	Authenticate(ctx context.Context, info ConnectInfo) (transport.Identity, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(ctx context.Context, info ConnectInfo) (transport.Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, info ConnectInfo) (transport.Identity, error) {
	return f(ctx, info)
}

// ErrBadCredentials: the user name, password or certificate was not accepted. The broker refuses
// the connection with reason code 0x86.
var ErrBadCredentials = errors.New("broker: bad user name or password")

// Credentials is a fixed table of user names and passwords.
//
// A user name found in Cloud must come with its password and gets a cloud identity named by the
// user name. A user name found in Devices must come with its password and gets the device
// identity of that ID. Any other connection is refused with ErrBadCredentials, unless AnyDevice
// is set: then it is the device named by its user name or, without one, by its client ID, and
// no password is checked. Passwords are compared in constant time.
type Credentials struct {
	// Cloud maps a cloud service's user name to its password ("" = no password).
	Cloud map[string]string
	// Devices maps a device ID, used as the user name, to its password ("" = no password).
	Devices map[string]string
	// AnyDevice accepts every other connection as a device (demos, tests).
	AnyDevice bool
}

// AllowAll returns the demo authenticator: the user names in cloud, with their passwords, are
// cloud identities; every other connection is the device named by its user name, or by its
// client ID when it sends none, without a password. Only the namespace rule then protects the
// devices from each other: use it on loopback, in demos and tests.
func AllowAll(cloud map[string]string) Credentials {
	return Credentials{Cloud: cloud, AnyDevice: true}
}

// Authenticate implements Authenticator.
func (c Credentials) Authenticate(_ context.Context, info ConnectInfo) (transport.Identity, error) {
	if want, ok := c.Cloud[info.Username]; ok && info.Username != "" {
		if !equalSecret(want, info.Password) {
			return transport.Identity{}, fmt.Errorf("%w: wrong password for cloud user %q", ErrBadCredentials, info.Username)
		}
		return transport.Identity{ID: info.Username, Cloud: true}, nil
	}
	if want, ok := c.Devices[info.Username]; ok && info.Username != "" {
		if !equalSecret(want, info.Password) {
			return transport.Identity{}, fmt.Errorf("%w: wrong password for device %q", ErrBadCredentials, info.Username)
		}
		return transport.Identity{ID: info.Username}, nil
	}
	if !c.AnyDevice {
		return transport.Identity{}, fmt.Errorf("%w: unknown user name %q", ErrBadCredentials, info.Username)
	}
	id := info.Username
	if id == "" {
		id = info.ClientID
	}
	return transport.Identity{ID: id}, nil
}

func equalSecret(want string, got []byte) bool {
	return subtle.ConstantTimeCompare([]byte(want), got) == 1
}

// URI prefixes of the certificate identities CertificateIdentity reads.
const (
	// DeviceURIPrefix + device ID, as a URI SAN, names a device.
	DeviceURIPrefix = "urn:fleetkit:device:"
	// CloudURIPrefix + service name, as a URI SAN, names a cloud service.
	CloudURIPrefix = "urn:fleetkit:cloud:"
)

// CertificateIdentity takes the identity from the client certificate verified by the TLS
// listener (Config.TLS with ClientAuth set to verify). The leaf of the first verified chain is
// read in this order:
//
//   - a URI SAN "urn:fleetkit:device:{id}" makes it the device {id};
//   - a URI SAN "urn:fleetkit:cloud:{name}" makes it the cloud service {name};
//   - otherwise, if CommonName is set, the subject CN is the device ID.
//
// A certificate with more than one fleetkit URI SAN is refused (ambiguous). A connection with no
// verified certificate goes to Fallback when it is set (for example Credentials for cloud
// services on a loopback plain listener), and is refused with 0x87 otherwise.
type CertificateIdentity struct {
	// CommonName accepts the subject common name as the device ID when the certificate has no
	// fleetkit URI SAN.
	CommonName bool
	// Fallback authenticates connections that present no verified certificate. Nil refuses them.
	Fallback Authenticator
}

// ErrNoIdentity: the certificate names no identity CertificateIdentity accepts.
var ErrNoIdentity = errors.New("broker: certificate names no fleetkit identity")

// Authenticate implements Authenticator.
func (c CertificateIdentity) Authenticate(ctx context.Context, info ConnectInfo) (transport.Identity, error) {
	if len(info.VerifiedChains) == 0 || len(info.VerifiedChains[0]) == 0 {
		if c.Fallback != nil {
			return c.Fallback.Authenticate(ctx, info)
		}
		if len(info.PeerCertificates) > 0 {
			return transport.Identity{}, fmt.Errorf("%w: client certificate was not verified (set tls.Config.ClientAuth to verify)", ErrNoIdentity)
		}
		return transport.Identity{}, fmt.Errorf("%w: no client certificate", ErrNoIdentity)
	}
	return IdentityFromCertificate(info.VerifiedChains[0][0], c.CommonName)
}

// IdentityFromCertificate reads a fleetkit identity from a certificate by the rules of
// CertificateIdentity. It does not verify the certificate.
func IdentityFromCertificate(cert *x509.Certificate, commonName bool) (transport.Identity, error) {
	var id transport.Identity
	found := 0
	for i, u := range cert.URIs {
		s := u.String()
		switch {
		case strings.HasPrefix(s, DeviceURIPrefix):
			id = transport.Identity{ID: s[len(DeviceURIPrefix):]}
		case strings.HasPrefix(s, CloudURIPrefix):
			id = transport.Identity{ID: s[len(CloudURIPrefix):], Cloud: true}
		default:
			continue
		}
		found++
		if found > 1 {
			return transport.Identity{}, fmt.Errorf("%w: URI SAN %d %q: more than one fleetkit identity in one certificate", ErrNoIdentity, i, s)
		}
		if id.ID == "" {
			return transport.Identity{}, fmt.Errorf("%w: URI SAN %d %q: empty name", ErrNoIdentity, i, s)
		}
	}
	if found == 1 {
		return id, nil
	}
	if commonName && cert.Subject.CommonName != "" {
		return transport.Identity{ID: cert.Subject.CommonName}, nil
	}
	return transport.Identity{}, fmt.Errorf("%w: subject %q has no %s or %s URI SAN", ErrNoIdentity, cert.Subject.String(), DeviceURIPrefix, CloudURIPrefix)
}
