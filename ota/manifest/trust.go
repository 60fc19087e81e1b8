package manifest

import (
	"errors"
	"strconv"

	"github.com/fleetkit/fleetkit/cose"
)

// TrustStore holds the keys trusted to sign manifests, by key ID, and how many of them must
// sign (TUF-style k-of-n). It implements cose.Keys. A TrustStore is immutable after
// [NewTrustStore], so one value may be shared.
type TrustStore struct {
	keys      map[string]*cose.Verifier
	threshold int
}

// NewTrustStore returns a store that requires threshold distinct keys among keys to sign.
// Every key needs a unique, non-empty key ID; threshold must be between 1 and len(keys).
//
// Rotating keys: ship the new store (old and new keys, threshold unchanged) in an update
// signed under the old one, then sign with the new keys; removing a compromised key from the
// store revokes it.
func NewTrustStore(threshold int, keys ...*cose.Verifier) (*TrustStore, error) {
	if threshold < 1 || threshold > len(keys) {
		return nil, errors.New("manifest: threshold " + strconv.Itoa(threshold) + " outside 1.." + strconv.Itoa(len(keys)))
	}
	ts := &TrustStore{keys: make(map[string]*cose.Verifier, len(keys)), threshold: threshold}
	for i, k := range keys {
		if k == nil || len(k.KeyID()) == 0 {
			return nil, errors.New("manifest: trusted key " + strconv.Itoa(i) + " has no key ID")
		}
		if _, dup := ts.keys[string(k.KeyID())]; dup {
			return nil, errors.New("manifest: trusted key " + strconv.Itoa(i) + " repeats key ID " + strconv.Quote(string(k.KeyID())))
		}
		ts.keys[string(k.KeyID())] = k
	}
	return ts, nil
}

// Threshold returns the number of distinct trusted keys that must sign.
func (ts *TrustStore) Threshold() int { return ts.threshold }

// Len returns the number of trusted keys.
func (ts *TrustStore) Len() int { return len(ts.keys) }

// Lookup returns the trusted key with the given key ID (implements cose.Keys).
func (ts *TrustStore) Lookup(kid []byte) (*cose.Verifier, bool) {
	v, ok := ts.keys[string(kid)]
	return v, ok
}
