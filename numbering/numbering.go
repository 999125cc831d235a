// Package numbering classifies phone numbers by type (local, national,
// toll-free, premium, international, emergency) under a country's dialling
// rules, so that the server only ever dials what the configuration allows.
package numbering

import (
	"errors"
	"strings"
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

// Plan holds a country's dialling rules. Numbers are taken as E.164
// ("+14155550123"), national with or without the national prefix, or with
// the international prefix.
type Plan struct {
	CountryCode         string
	NationalPrefix      string
	InternationalPrefix string
	Emergency           []string
	TollFree            []string
	Premium             []string
	LocalAreaCodes      []string
	// NationalLength is the length of a national number without prefix
	// (10 in North America); 0 accepts 6 to 14 digits.
	NationalLength int
}

// ErrInvalid means the text is not a phone number that can be dialled.
var ErrInvalid = errors.New("not a valid phone number")

// Classify returns the number's type and its E.164 form ("+..."); an
// emergency number is returned as dialled.
func (p *Plan) Classify(raw string) (Type, string, error) {
	n := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "").Replace(strings.TrimSpace(raw))
	for _, e := range p.Emergency {
		if n == e {
			return Emergency, n, nil
		}
	}
	plus := strings.HasPrefix(n, "+")
	n = strings.TrimPrefix(n, "+")
	if n == "" || strings.Trim(n, "0123456789") != "" {
		return "", "", ErrInvalid
	}
	var national string
	switch {
	case plus && strings.HasPrefix(n, p.CountryCode):
		national = n[len(p.CountryCode):]
	case plus:
		return p.international(n)
	case p.InternationalPrefix != "" && strings.HasPrefix(n, p.InternationalPrefix):
		return p.international(n[len(p.InternationalPrefix):])
	case p.NationalPrefix != "" && strings.HasPrefix(n, p.NationalPrefix) && len(n)-len(p.NationalPrefix) == p.NationalLength:
		national = n[len(p.NationalPrefix):]
	default:
		national = n
	}
	if p.NationalLength > 0 && len(national) != p.NationalLength || p.NationalLength == 0 && (len(national) < 6 || len(national) > 14) {
		return "", "", ErrInvalid
	}
	e164 := "+" + p.CountryCode + national
	for _, list := range []struct {
		t        Type
		prefixes []string
	}{{TollFree, p.TollFree}, {Premium, p.Premium}, {Local, p.LocalAreaCodes}} {
		for _, prefix := range list.prefixes {
			if strings.HasPrefix(national, prefix) {
				return list.t, e164, nil
			}
		}
	}
	return National, e164, nil
}

func (p *Plan) international(n string) (Type, string, error) {
	if len(n) < 7 || len(n) > 15 || strings.HasPrefix(n, "0") {
		return "", "", ErrInvalid
	}
	if strings.HasPrefix(n, p.CountryCode) {
		return p.Classify("+" + n)
	}
	return International, "+" + n, nil
}
