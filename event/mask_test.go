package event

import "testing"

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"4111111111111111", "************1111"}, // a test Visa number
		{"378282246310005", "***********0005"},   // a test Amex number
		{"4111111111111112", "4111111111111112"}, // fails Luhn: an account number
		{"123456", "123456"},
		{"41111111111111a1", "41111111111111a1"},
		{"", ""},
	} {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
