//go:build linux

package qr_test

import (
	"fmt"
	"image"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/admitone/admitone/qr"
	"github.com/admitone/admitone/qr/qrtest"
)

// TestPassTable measures each decode pass on its own, for the strategy
// table in BENCHMARKS.md: how many frames of each set it reads alone,
// and its CPU time per frame. Run with
//
//	ADMITONE_PASSTABLE=1 go test ./qr/ -run PassTable -v
func TestPassTable(t *testing.T) {
	if os.Getenv("ADMITONE_PASSTABLE") != "1" {
		t.Skip("set ADMITONE_PASSTABLE=1 to measure the passes one by one")
	}
	type set struct {
		name   string
		frames []*image.Gray
		texts  []string
	}
	var sets []set
	for _, size := range [][2]int{{1280, 720}, {640, 480}} {
		gs, ts := frameSet(synthetic(50, size[0], size[1]))
		sets = append(sets, set{fmt.Sprintf("synthetic %dx%d", size[0], size[1]), gs, ts})
	}
	var bb set
	bb.name = "blackbox"
	for _, p := range loadBlackbox(t) {
		bb.frames, bb.texts = append(bb.frames, p.Gray), append(bb.texts, p.Text)
	}
	dgs, dts := frameSet(qrtest.Generate(syntheticSeed, 20, qrtest.Config{Width: 1280, Height: 720, DarkModeRate: 1}))
	sets = append(sets, bb, set{"dark mode 1280x720", dgs, dts}, set{"no code 1280x720", nocode(20, 1280, 720), nil})

	var out strings.Builder
	out.WriteString("\n| set | pass | reads alone | CPU ms/frame mean |\n|---|---|---|---|\n")
	opts := qr.Options{Still: true}
	for _, s := range sets {
		d := qr.NewDecoder(opts)
		// Pass names in plan order, over all frame sizes in the set
		// (the blackbox photos start with a half-resolution pass when
		// they are large).
		var names []string
		seen := map[string]bool{}
		for _, g := range s.frames {
			for _, n := range qr.PlanNames(g.Bounds().Dx(), g.Bounds().Dy(), opts) {
				if !seen[n] {
					seen[n] = true
					names = append(names, n)
				}
			}
		}
		for _, name := range names {
			ok, n := 0, 0
			total := 0.0
			for k, g := range s.frames {
				i := slices.Index(qr.PlanNames(g.Bounds().Dx(), g.Bounds().Dy(), opts), name)
				if i < 0 {
					continue
				}
				n++
				c0 := cpuNow(t)
				r, err := qr.DecodeOnePass(d, g, i)
				total += ms(cpuNow(t) - c0)
				if err == nil && s.texts != nil && r.Text == s.texts[k] {
					ok++
				}
			}
			reads := fmt.Sprintf("%d/%d", ok, n)
			if s.texts == nil {
				reads = "-"
			}
			fmt.Fprintf(&out, "| %s | %s | %s | %.2f |\n", s.name, name, reads, total/float64(n))
		}
	}
	t.Log(out.String())
}
