package sqlite

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// Issue14: the writer's one-pass hash check and decode accepts exactly 64
// lowercase hex digits and decodes them as encoding/hex does, so the
// stored metadata keeps one encoding per value (R-LEDGER-4).
func TestDecodeHexHashIsExact_Issue14(t *testing.T) {
	valid := "00ff10a9b8c7d6e5f4e3d2c1b0a99887766554433221100ffeeddccbbaa09187"
	cases := map[string]bool{
		valid:                                true,
		strings.Repeat("0", 64):              true,
		strings.Repeat("f", 64):              true,
		strings.ToUpper(valid):               false,
		valid[:63] + "A":                     false,
		valid[:63] + "g":                     false,
		valid[:63] + "/":                     false,
		valid[:63] + ":":                     false,
		valid[:63] + "`":                     false,
		valid[:63] + "\xff":                  false,
		valid[:62]:                           false,
		valid + "0":                          false,
		"":                                   false,
		"genesis":                            false,
		strings.Repeat("0", 62) + "\x00\x00": false,
	}
	for h, want := range cases {
		var raw [32]byte
		if got := decodeHexHash(&raw, h); got != want {
			t.Errorf("decodeHexHash(%q) = %v, want %v", h, got, want)
			continue
		}
		if want {
			std, err := hex.DecodeString(h)
			if err != nil || !bytes.Equal(std, raw[:]) {
				t.Errorf("decodeHexHash(%q) decoded %x, encoding/hex %x (%v)", h, raw, std, err)
			}
		}
	}
	for c := range 256 {
		h := valid[:10] + string([]byte{byte(c)}) + valid[11:]
		want := '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
		var raw [32]byte
		if got := decodeHexHash(&raw, h); got != want {
			t.Errorf("byte %#x: decodeHexHash = %v, want %v", c, got, want)
		}
	}
}
