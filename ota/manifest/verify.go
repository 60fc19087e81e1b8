package manifest

import (
	"errors"
	"strconv"
	"time"

	"github.com/fleetkit/fleetkit/cose"
)

// DefaultMaxEnvelopeSize is the envelope size limit [Verifier.Verify] applies when
// [Verifier.MaxEnvelopeSize] is zero.
const DefaultMaxEnvelopeSize = 16 << 10

// MaxSignatures bounds the signatures a COSE_Sign envelope may carry, so that an attacker
// cannot make a device spend unbounded time verifying.
const MaxSignatures = 16

// DeviceState is what the device knows about itself when it checks a manifest.
type DeviceState struct {
	// VendorID and ClassID identify the device; the manifest's must be equal.
	VendorID, ClassID UUID
	// Sequence is the sequence number of the manifest of the installed image (0 for none).
	Sequence uint64
	// Digest is the SHA-256 of the installed image; it decides whether a manifest with an
	// equal sequence number is a re-install of the same image (accepted) or not (refused).
	Digest [32]byte
	// MaxImageSize, when non-zero, is the largest image the device can store (its inactive
	// slot); a larger manifest Size fails with [ErrOversize].
	MaxImageSize uint64
}

// Verifier checks manifest envelopes against a trust store. The zero value is not usable: set
// Trust. A Verifier is safe for concurrent use (it is never modified by Verify).
type Verifier struct {
	// Trust holds the trusted keys and the signature threshold. Required.
	Trust *TrustStore
	// MaxEnvelopeSize limits the envelope in bytes before anything is decoded; zero means
	// DefaultMaxEnvelopeSize.
	MaxEnvelopeSize int
}

// Verify authenticates envelope, parses the manifest and checks it against the device state
// and the time now (unix seconds are compared; a device without a trusted clock passes the
// latest time it can vouch for, e.g. its build time). The checks run in this order, each with
// its sentinel error:
//
//  1. envelope size ([ErrOversize]) and COSE structure ([ErrMalformed]); only the alg and kid
//     headers are read;
//  2. signatures, over the body and [ExternalAAD], before the body is parsed: a COSE_Sign1
//     envelope must verify with a trusted key ([ErrUnknownKey], [ErrSignature]) and the
//     threshold must be 1; a COSE_Sign envelope must carry valid signatures by at least
//     Trust.Threshold() distinct trusted keys ([ErrThreshold], whose cause joins the failures
//     of the individual signatures);
//  3. the body format ([ErrMalformed], naming the field);
//  4. vendor ID ([ErrVendor]) and class ID ([ErrClass]);
//  5. expiry: refused when now >= Expiry ([ErrExpired]);
//  6. minimum version: refused when state.Sequence < MinSequence ([ErrBelowMinimum]);
//  7. anti-rollback: refused when Sequence < state.Sequence, and when Sequence ==
//     state.Sequence with a Digest other than state.Digest ([ErrRollback]); an equal sequence
//     with the same digest is accepted, so re-verifying or re-installing the running image is
//     idempotent;
//  8. image size against state.MaxImageSize ([ErrOversize]).
func (v *Verifier) Verify(now time.Time, envelope []byte, state DeviceState) (*Manifest, error) {
	if v.Trust == nil {
		return nil, fail(CheckSignature, "", ErrUnknownKey, errors.New("verifier has no trust store"))
	}
	limit := v.MaxEnvelopeSize
	if limit <= 0 {
		limit = DefaultMaxEnvelopeSize
	}
	if len(envelope) > limit {
		return nil, fail(CheckEnvelope, "", ErrOversize, errors.New(strconv.Itoa(len(envelope))+" bytes, limit "+strconv.Itoa(limit)))
	}
	body, err := v.authenticate(envelope)
	if err != nil {
		return nil, err
	}
	m, err := Decode(body)
	if err != nil {
		return nil, err
	}
	if err := m.Check(now, state); err != nil {
		return nil, err
	}
	return m, nil
}

// Check applies checks 4 to 8 of [Verifier.Verify] to an authenticated manifest.
func (m *Manifest) Check(now time.Time, state DeviceState) error {
	switch {
	case m.VendorID != state.VendorID:
		return fail(CheckVendor, "vendor", ErrVendor, errors.New("manifest "+m.VendorID.String()+", device "+state.VendorID.String()))
	case m.ClassID != state.ClassID:
		return fail(CheckClass, "class", ErrClass, errors.New("manifest "+m.ClassID.String()+", device "+state.ClassID.String()))
	case m.Expiry != 0 && now.Unix() >= m.Expiry:
		return fail(CheckExpiry, "expiry", ErrExpired, errors.New("expired at "+strconv.FormatInt(m.Expiry, 10)+", now "+strconv.FormatInt(now.Unix(), 10)))
	case m.MinSequence != 0 && state.Sequence < m.MinSequence:
		return fail(CheckMinimum, "min-sequence", ErrBelowMinimum, errors.New("device at "+u64(state.Sequence)+", minimum "+u64(m.MinSequence)))
	case m.Sequence < state.Sequence:
		return fail(CheckRollback, "sequence", ErrRollback, errors.New(u64(m.Sequence)+" below installed "+u64(state.Sequence)))
	case m.Sequence == state.Sequence && m.Digest != state.Digest:
		return fail(CheckRollback, "sequence", ErrRollback, errors.New(u64(m.Sequence)+" equals installed sequence with another image digest"))
	case state.MaxImageSize != 0 && m.Size > state.MaxImageSize:
		return fail(CheckSize, "size", ErrOversize, errors.New(u64(m.Size)+" bytes, device holds "+u64(state.MaxImageSize)))
	}
	return nil
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

// authenticate checks the envelope's signatures and returns the signed body.
func (v *Verifier) authenticate(envelope []byte) ([]byte, error) {
	opts := &cose.VerifyOptions{ExternalAAD: ExternalAAD}
	switch {
	case len(envelope) >= 1 && envelope[0] == 0xd2: // tag 18
		msg, err := cose.DecodeSign1(envelope)
		if err != nil {
			return nil, fail(CheckEnvelope, "", ErrMalformed, err)
		}
		if msg.Payload == nil {
			return nil, fail(CheckEnvelope, "payload", ErrMalformed, errors.New("detached payload"))
		}
		if t := v.Trust.Threshold(); t > 1 {
			return nil, fail(CheckSignature, "", ErrThreshold, errors.New("one signature, "+strconv.Itoa(t)+" required"))
		}
		body, _, err := msg.Verify(v.Trust, opts)
		if err != nil {
			return nil, signatureError(err)
		}
		return body, nil
	case len(envelope) >= 2 && envelope[0] == 0xd8 && envelope[1] == 0x62: // tag 98
		msg, err := cose.DecodeSign(envelope)
		if err != nil {
			return nil, fail(CheckEnvelope, "", ErrMalformed, err)
		}
		if msg.Payload == nil {
			return nil, fail(CheckEnvelope, "payload", ErrMalformed, errors.New("detached payload"))
		}
		if len(msg.Signatures) > MaxSignatures {
			return nil, fail(CheckEnvelope, "signatures", ErrMalformed, errors.New(strconv.Itoa(len(msg.Signatures))+" signatures, at most "+strconv.Itoa(MaxSignatures)))
		}
		need := v.Trust.Threshold()
		var valid [MaxSignatures]*cose.Verifier
		nValid := 0
		var errs []error
		for i := range msg.Signatures {
			key, err := msg.VerifySignature(i, v.Trust, opts)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			dup := false
			for _, k := range valid[:nValid] {
				dup = dup || k == key
			}
			if dup {
				errs = append(errs, errors.New("signature "+strconv.Itoa(i)+": key "+strconv.Quote(string(key.KeyID()))+" already counted"))
				continue
			}
			valid[nValid] = key
			nValid++
			if nValid >= need {
				return msg.Payload, nil
			}
		}
		return nil, &Error{Check: CheckSignature, Err: ErrThreshold,
			Cause: errors.Join(append([]error{errors.New(strconv.Itoa(nValid) + " of " + strconv.Itoa(need) + " required distinct trusted signatures")}, errs...)...)}
	}
	return nil, fail(CheckEnvelope, "tag", ErrMalformed, errors.New("envelope must be a COSE_Sign1 (tag 18) or COSE_Sign (tag 98)"))
}

// signatureError maps a cose verification error onto the manifest's sentinels.
func signatureError(err error) error {
	switch {
	case errors.Is(err, cose.ErrUnknownKey):
		return fail(CheckSignature, "kid", ErrUnknownKey, err)
	case errors.Is(err, cose.ErrSignature):
		return fail(CheckSignature, "", ErrSignature, err)
	case errors.Is(err, cose.ErrMalformed), errors.Is(err, cose.ErrPayload):
		return fail(CheckEnvelope, "", ErrMalformed, err)
	}
	// Unsupported or mismatched algorithm, critical headers: the signature cannot be accepted.
	return fail(CheckSignature, "alg", ErrSignature, err)
}
