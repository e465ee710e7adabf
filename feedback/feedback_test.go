package feedback_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/admitone/admitone/feedback"
)

func TestAnswerValidate(t *testing.T) {
	for _, c := range []struct {
		name    string
		in      feedback.Answer
		comment string // the comment kept; "!" wants ErrInvalid
	}{
		{"rating only", feedback.Answer{Rating: 3}, ""},
		{"trimmed", feedback.Answer{Rating: 5, Comment: "  Loud.\n\tGood.  "}, "Loud.\n\tGood."},
		{"markup is text", feedback.Answer{Rating: 1, Comment: "<script>x</script>"}, "<script>x</script>"},
		{"at the limit", feedback.Answer{Rating: 4, Comment: strings.Repeat("é", feedback.MaxCommentBytes/2)}, strings.Repeat("é", feedback.MaxCommentBytes/2)},
		{"rating 0", feedback.Answer{Rating: 0}, "!"},
		{"rating 6", feedback.Answer{Rating: 6}, "!"},
		{"over the limit", feedback.Answer{Rating: 4, Comment: strings.Repeat("x", feedback.MaxCommentBytes+1)}, "!"},
		{"not UTF-8", feedback.Answer{Rating: 4, Comment: "\xff"}, "!"},
		{"control character", feedback.Answer{Rating: 4, Comment: "a\x1bb"}, "!"},
		{"NUL", feedback.Answer{Rating: 4, Comment: "a\x00b"}, "!"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.in.Validate()
			if c.comment == "!" {
				if !errors.Is(err, feedback.ErrInvalid) {
					t.Errorf("Validate = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil || got.Comment != c.comment || got.Rating != c.in.Rating {
				t.Errorf("Validate = %+v, %v; want comment %q", got, err, c.comment)
			}
		})
	}
}
