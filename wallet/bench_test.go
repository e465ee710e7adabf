package wallet

import (
	"testing"

	"github.com/admitone/admitone/wallet/wallettest"
)

// BenchmarkBuildPKPass measures one signed .pkpass with an RSA 2048 pass
// certificate, as Apple issues them. The images come from the per-color
// cache after the first build.
func BenchmarkBuildPKPass(b *testing.B) {
	pki := wallettest.NewPKI(b, true)
	s := testSigner(pki)
	ticket := testPassTicket(b)
	b.ReportAllocs()
	for b.Loop() {
		pass, err := s.Build(ticket)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(pass)))
	}
}

// BenchmarkPassImages measures drawing and encoding a pass's six images,
// which the cache saves on every build after the first per color set.
func BenchmarkPassImages(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := renderPassImages(DefaultColors); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoogleSaveURL measures one signed "Add to Google Wallet" link
// (class and object, RS256 with a 2048-bit key).
func BenchmarkGoogleSaveURL(b *testing.B) {
	for _, rotating := range []bool{false, true} {
		name := "static"
		if rotating {
			name = "rotating"
		}
		b.Run(name, func(b *testing.B) {
			g := testGoogleIssuer(b)
			ticket := testGoogleTicket(b, rotating)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.SaveURL(ticket); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
