package qr

import "image"

// Hooks for the external tests (package qr_test).

// PlanNames returns the names of the passes Decode runs, in order, on a
// w x h frame with opts (the region of interest and linear passes aside).
func PlanNames(w, h int, opts Options) []string {
	var names []string
	for _, ps := range plan(w, h, opts) {
		names = append(names, ps.name)
	}
	return names
}

// DecodeOnePass runs pass i of the plan alone on g.
func DecodeOnePass(d *Decoder, g *image.Gray, i int) (*Result, error) {
	p, err := planeOf(g.Pix, g.Stride, g.Rect)
	if err != nil {
		return nil, err
	}
	d.bits.forget()
	return safely("one", func() (*Result, error) { return d.run(p, plan(p.width, p.height, d.opts)[i]) })
}
