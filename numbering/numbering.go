// Package numbering classifies phone numbers by type (local, national,
// toll-free, premium, international, emergency) from the country numbering
// plans of libphonenumber (github.com/nyaruka/phonenumbers), so that the
// server only ever dials what the configuration allows.
//
// Hand-written prefix rules cannot tell, inside a shared country code,
// which numbers are billed as international (+1 876 is Jamaica, not the
// United States) or which area codes do not exist; the plans can, and a
// number they do not know is refused rather than guessed at.
package numbering

import (
	"errors"
	"slices"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Type is a kind of phone number.
type Type string

// Number types. Emergency numbers are never dialled by the server.
const (
	Local         Type = "local"
	National      Type = "national"
	TollFree      Type = "toll_free"
	Premium       Type = "premium"
	International Type = "international"
	Emergency     Type = "emergency"
)

// Types lists every type, for validation.
var Types = []Type{Local, National, TollFree, Premium, International, Emergency}

// Plan classifies numbers as seen from one region. Numbers are taken in
// E.164 ("+14155550123"), or as dialled in the region: national, with or
// without the national prefix, or after the international prefix.
type Plan struct {
	// Region is the ISO 3166-1 code (like "US") of the country dialled
	// from: its plan reads national forms, and its emergency numbers are
	// the ones never dialled.
	Region string
	// NationalRegions are the regions whose numbers are billed as
	// national from Region; when empty, Region alone. Every other region
	// is international, including those that share Region's country code.
	NationalRegions []string
	// Emergency lists emergency numbers beyond those the plan knows.
	Emergency []string
	// LocalPrefixes are prefixes of the national significant number (the
	// number without country code or national prefix, like area code
	// "415") that make a national number local.
	LocalPrefixes []string
}

// ErrInvalid means the text is not a phone number that can be dialled.
var ErrInvalid = errors.New("not a valid phone number")

// punctuation is what people and phones put between digits.
var punctuation = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "")

// Classify returns the number's type and its E.164 form ("+..."); an
// emergency number is returned as dialled. A number the plans do not hold
// as valid, or one with an extension, is ErrInvalid.
func (p *Plan) Classify(raw string) (Type, string, error) {
	n := punctuation.Replace(strings.TrimSpace(raw))
	if n == "" {
		return "", "", ErrInvalid
	}
	// Prefix matching catches what would still reach the emergency
	// service when dialled as is ("9110", "9115550123"). The library never
	// matches a "+" form, so those are checked on their national part
	// once parsed.
	if slices.Contains(p.Emergency, n) || phonenumbers.ConnectsToEmergencyNumber(n, p.Region) {
		return Emergency, n, nil
	}
	// Digits only: the library would also read letters as keypad digits
	// and cut off extensions, dialling something other than what the
	// caller presented.
	if d := strings.TrimPrefix(n, "+"); d == "" || strings.Trim(d, "0123456789") != "" {
		return "", "", ErrInvalid
	}
	num, err := phonenumbers.Parse(n, p.Region)
	if err != nil || num.GetExtension() != "" {
		return "", "", ErrInvalid
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	home := int32(phonenumbers.GetCountryCodeForRegion(p.Region))
	if num.GetCountryCode() == home && (slices.Contains(p.Emergency, nsn) || phonenumbers.IsEmergencyNumber(nsn, p.Region)) {
		return Emergency, n, nil
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", "", ErrInvalid
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	national := slices.Contains(p.nationalRegions(), phonenumbers.GetRegionCodeForNumber(num))
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST:
		// In any region: both bill the caller above the call's cost and
		// share the revenue with the number's holder, which is what toll
		// fraud is after.
		return Premium, e164, nil
	case phonenumbers.TOLL_FREE:
		// A foreign freephone number is not free to call from here.
		if national {
			return TollFree, e164, nil
		}
	}
	if !national {
		return International, e164, nil
	}
	if num.GetCountryCode() == home {
		for _, prefix := range p.LocalPrefixes {
			if strings.HasPrefix(nsn, prefix) {
				return Local, e164, nil
			}
		}
	}
	return National, e164, nil
}

func (p *Plan) nationalRegions() []string {
	if len(p.NationalRegions) == 0 {
		return []string{p.Region}
	}
	return p.NationalRegions
}

// KnownRegion reports whether the plans hold region, an upper-case ISO
// 3166-1 code like "US".
func KnownRegion(region string) bool {
	return phonenumbers.GetSupportedRegions()[region]
}

// DefaultNationalRegions are the regions billed as national from region
// when the configuration names none: the United States and Canada for
// each other, otherwise the region alone.
func DefaultNationalRegions(region string) []string {
	if region == "US" || region == "CA" {
		return []string{"US", "CA"}
	}
	return []string{region}
}
