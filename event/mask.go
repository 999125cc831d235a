package event

// Mask hides what could be a payment card number: 13 to 19 digits that
// pass the Luhn check keep only their last four. Anything else is
// returned as it is.
func Mask(v string) string {
	if len(v) < 13 || len(v) > 19 || !luhn(v) {
		return v
	}
	b := []byte(v)
	for i := range len(b) - 4 {
		b[i] = '*'
	}
	return string(b)
}

// MaskAll masks every value of vars, in a copy.
func MaskAll(vars map[string]string) map[string]string {
	if len(vars) == 0 {
		return nil
	}
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		out[k] = Mask(v)
	}
	return out
}

func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
