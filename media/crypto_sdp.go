package media

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"strconv"
	"strings"
)

// Suite is an SRTP crypto suite of SDES (RFC 4568 §6.2).
type Suite uint8

// The suites this server speaks: both AES counter mode with a 128-bit
// key and HMAC-SHA1, with an 80-bit or a 32-bit authentication tag.
const (
	AESCM128HMACSHA1_80 Suite = iota + 1
	AESCM128HMACSHA1_32
)

// suiteNames are the suites' SDP names, preferred first.
var suiteNames = [...]struct {
	suite Suite
	name  string
}{
	{AESCM128HMACSHA1_80, "AES_CM_128_HMAC_SHA1_80"},
	{AESCM128HMACSHA1_32, "AES_CM_128_HMAC_SHA1_32"},
}

func (s Suite) String() string {
	for _, n := range suiteNames {
		if n.suite == s {
			return n.name
		}
	}
	return "suite(" + strconv.Itoa(int(s)) + ")"
}

// ParseSuite reads a suite's SDP name; false for one we do not speak.
func ParseSuite(name string) (Suite, bool) {
	for _, n := range suiteNames {
		if n.name == name {
			return n.suite, true
		}
	}
	return 0, false
}

// keySaltLen is the length of the master key (16 bytes) and master salt
// (14 bytes) that an inline key carries for both suites.
const keySaltLen = 30

// Crypto is one a=crypto attribute of SDES (RFC 4568): a suite and the
// master key its sender encrypts with. Only one inline key is taken.
type Crypto struct {
	Tag   int
	Suite Suite
	// Key is the master key followed by the master salt.
	Key []byte
	// MKI is the master key identifier the sender puts in each packet,
	// nil when it puts none.
	MKI []byte
	// Lifetime is the key's lifetime in packets as the sender gave it, 0
	// when unstated (the suite's maximum).
	Lifetime uint64
}

// String and LogValue never show the key: a key in a log is a key given
// to whoever reads the log.
func (c Crypto) String() string {
	return fmt.Sprintf("crypto:%d %s inline:(masked)", c.Tag, c.Suite)
}

// LogValue implements slog.LogValuer, without the key.
func (c Crypto) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("tag", c.Tag), slog.String("suite", c.Suite.String()))
}

// NewCrypto makes a fresh master key and salt from crypto/rand for one
// direction of one session.
func NewCrypto(tag int, suite Suite) (Crypto, error) {
	c := Crypto{Tag: tag, Suite: suite, Key: make([]byte, keySaltLen)}
	if _, err := rand.Read(c.Key); err != nil {
		return Crypto{}, fmt.Errorf("making an SRTP master key: %w", err)
	}
	return c, nil
}

// Errors of ParseCrypto. None says anything of the key itself.
var (
	errCryptoSyntax  = errors.New("sdp: malformed a=crypto")
	errCryptoSuite   = errors.New("sdp: a=crypto suite not supported")
	errCryptoKey     = errors.New("sdp: a=crypto key is not a base64 master key and salt of 30 bytes")
	errCryptoKeys    = errors.New("sdp: a=crypto with more than one key")
	errCryptoSession = errors.New("sdp: a=crypto session parameters not supported")
)

// ParseCrypto reads the value of an a=crypto attribute (what follows
// "crypto:"): "<tag> <suite> inline:<key||salt>[|<lifetime>][|<MKI>:<length>]".
// A line with session parameters (UNENCRYPTED_SRTP, KDR, …) is refused
// as a whole: RFC 4568 §6.3 says a parameter not understood makes the
// line unusable, and each of them changes what the packets are.
func ParseCrypto(value string) (Crypto, error) {
	fields := strings.Fields(value)
	if len(fields) < 3 {
		return Crypto{}, errCryptoSyntax
	}
	if len(fields) > 3 {
		return Crypto{}, errCryptoSession
	}
	tag, err := strconv.Atoi(fields[0])
	if err != nil || tag < 0 || tag > 999999999 || len(fields[0]) > 9 {
		return Crypto{}, errCryptoSyntax
	}
	suite, ok := ParseSuite(fields[1])
	if !ok {
		return Crypto{}, errCryptoSuite
	}
	if strings.Contains(fields[2], ";") {
		return Crypto{}, errCryptoKeys
	}
	info, ok := strings.CutPrefix(fields[2], "inline:")
	if !ok {
		return Crypto{}, errCryptoSyntax
	}
	parts := strings.Split(info, "|")
	if len(parts) > 3 {
		return Crypto{}, errCryptoSyntax
	}
	key, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil || len(key) != keySaltLen {
		return Crypto{}, errCryptoKey
	}
	c := Crypto{Tag: tag, Suite: suite, Key: key}
	for _, p := range parts[1:] {
		// The lifetime comes before the MKI, and only the MKI has a colon.
		if value, length, isMKI := strings.Cut(p, ":"); isMKI {
			if c.MKI != nil {
				return Crypto{}, errCryptoSyntax
			}
			if c.MKI, err = parseMKI(value, length); err != nil {
				return Crypto{}, err
			}
			continue
		}
		if c.Lifetime != 0 || c.MKI != nil {
			return Crypto{}, errCryptoSyntax
		}
		if c.Lifetime, err = parseLifetime(p); err != nil {
			return Crypto{}, err
		}
	}
	return c, nil
}

// parseMKI reads "<value>:<length>", the value in decimal and the length
// in bytes (RFC 4568 §9.2), as the bytes packets carry.
func parseMKI(value, length string) ([]byte, error) {
	n, err := strconv.Atoi(length)
	// pion/srtp takes any length; phones use 1 to 4 bytes.
	if err != nil || n < 1 || n > 8 {
		return nil, errCryptoSyntax
	}
	v, err := strconv.ParseUint(value, 10, 64)
	if err != nil || (n < 8 && v>>(8*n) != 0) {
		return nil, errCryptoSyntax
	}
	mki := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		mki[i] = byte(v)
		v >>= 8
	}
	return mki, nil
}

// parseLifetime reads "2^<n>" or a decimal number of packets.
func parseLifetime(s string) (uint64, error) {
	if exp, ok := strings.CutPrefix(s, "2^"); ok {
		n, err := strconv.Atoi(exp)
		if err != nil || n < 1 || n > 63 {
			return 0, errCryptoSyntax
		}
		return 1 << n, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return 0, errCryptoSyntax
	}
	return v, nil
}

// Attribute is the value of the a=crypto line for c.
func (c Crypto) Attribute() string {
	var b strings.Builder
	fmt.Fprintf(&b, "crypto:%d %s inline:%s", c.Tag, c.Suite, base64.StdEncoding.EncodeToString(c.Key))
	if c.Lifetime != 0 {
		if bits.OnesCount64(c.Lifetime) == 1 {
			fmt.Fprintf(&b, "|2^%d", bits.TrailingZeros64(c.Lifetime))
		} else {
			fmt.Fprintf(&b, "|%d", c.Lifetime)
		}
	}
	if c.MKI != nil {
		var v uint64
		for _, x := range c.MKI {
			v = v<<8 | uint64(x)
		}
		fmt.Fprintf(&b, "|%d:%d", v, len(c.MKI))
	}
	return b.String()
}
