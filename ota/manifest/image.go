package manifest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"errors"
	"hash"
	"strconv"
)

// ImageVerifier checks a firmware image against its manifest while it streams in: it hashes
// each write (constant memory, no buffering), refuses bytes beyond the declared size at once,
// and [ImageVerifier.Finish] checks the size and SHA-256 digest.
type ImageVerifier struct {
	h      hash.Hash
	digest [32]byte
	size   uint64
	n      uint64
	err    error
}

// NewImageVerifier returns a verifier for the image m describes.
func NewImageVerifier(m *Manifest) *ImageVerifier {
	return &ImageVerifier{h: sha256.New(), digest: m.Digest, size: m.Size}
}

// Write hashes p. Bytes beyond the declared size are refused: Write hashes only the bytes up
// to the size, returns their count and an [ErrOversize] error, and the verifier stays failed.
func (iv *ImageVerifier) Write(p []byte) (int, error) {
	if iv.err != nil {
		return 0, iv.err
	}
	if room := iv.size - iv.n; uint64(len(p)) > room {
		iv.h.Write(p[:room])
		iv.n = iv.size
		iv.err = fail(CheckImage, "size", ErrOversize, errors.New("image longer than the declared "+u64(iv.size)+" bytes"))
		return int(room), iv.err
	}
	iv.h.Write(p)
	iv.n += uint64(len(p))
	return len(p), nil
}

// Written returns the number of image bytes accepted so far (the offset to resume from).
func (iv *ImageVerifier) Written() uint64 { return iv.n }

// Finish checks that exactly the declared size arrived ([ErrTruncated] otherwise) and that
// the digest matches ([ErrDigestMismatch]). It does not change the verifier.
func (iv *ImageVerifier) Finish() error {
	if iv.err != nil {
		return iv.err
	}
	if iv.n < iv.size {
		return fail(CheckImage, "size", ErrTruncated, errors.New("got "+u64(iv.n)+" of "+u64(iv.size)+" bytes"))
	}
	var sum [32]byte
	iv.h.Sum(sum[:0])
	if subtle.ConstantTimeCompare(sum[:], iv.digest[:]) != 1 {
		return fail(CheckImage, "digest", ErrDigestMismatch, nil)
	}
	return nil
}

// MarshalBinary saves the verifier's progress (byte count and hash state) so that an
// interrupted download can resume after a restart with [ImageVerifier.UnmarshalBinary].
func (iv *ImageVerifier) MarshalBinary() ([]byte, error) {
	if iv.err != nil {
		return nil, iv.err
	}
	state, err := iv.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 8, 8+len(state))
	for i := 0; i < 8; i++ {
		out[i] = byte(iv.n >> (56 - 8*i))
	}
	return append(out, state...), nil
}

// UnmarshalBinary restores progress saved by [ImageVerifier.MarshalBinary] into a verifier
// made by [NewImageVerifier] for the same manifest.
func (iv *ImageVerifier) UnmarshalBinary(b []byte) error {
	if len(b) < 8 {
		return fail(CheckImage, "state", ErrMalformed, errors.New("state of "+strconv.Itoa(len(b))+" bytes"))
	}
	var n uint64
	for i := 0; i < 8; i++ {
		n = n<<8 | uint64(b[i])
	}
	if n > iv.size {
		return fail(CheckImage, "state", ErrMalformed, errors.New("saved offset beyond the image size"))
	}
	st := b[8:]
	var hashed uint64
	for i := len(st) - 8; i >= 0 && i < len(st); i++ {
		hashed = hashed<<8 | uint64(st[i])
	}
	if len(st) < 8 || hashed != n {
		return fail(CheckImage, "state", ErrMalformed, errors.New("saved offset and hash state disagree"))
	}
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(b[8:]); err != nil {
		return fail(CheckImage, "state", ErrMalformed, err)
	}
	iv.h, iv.n, iv.err = h, n, nil
	return nil
}
