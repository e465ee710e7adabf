package crypto

import (
	"testing"
)

func BenchmarkSign(b *testing.B) {
	key := testKey(b)
	tok := testToken()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(key, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseText(b *testing.B) {
	text := mustSign(b, testKey(b), testToken()).Text()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseText(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	ring := testKeyring(b)
	text := mustSign(b, testKey(b), testToken()).Text()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.Verify(text, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRotatingVerify(b *testing.B) {
	ring := testKeyring(b)
	tok := testToken()
	tok.Flags = FlagRotating
	st := mustSign(b, testKey(b), tok)
	rk, _ := ring.RotationKey(testEvent)
	text := st.TextWithCode(rk.Code(testEvent, testTicket, testNow))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ring.Verify(text, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBase45Encode(b *testing.B) {
	raw := mustSign(b, testKey(b), testToken()).Bytes()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Base45Encode(raw)
	}
}

func BenchmarkBase45Decode(b *testing.B) {
	raw := mustSign(b, testKey(b), testToken()).Bytes()
	s := Base45Encode(raw)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Base45Decode(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealOpen(b *testing.B) {
	key := testSealKey(1)
	pt := make([]byte, 1024)
	ad := []byte("bench")
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(key, Seal(key, pt, ad), ad); err != nil {
			b.Fatal(err)
		}
	}
}
