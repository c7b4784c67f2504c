package lang_test

import (
	"fmt"

	"github.com/vigie-news/vigie/internal/lang"
)

func ExampleDetector_Detect() {
	d, err := lang.New(lang.DefaultLanguages)
	if err != nil {
		panic(err)
	}
	items := []lang.Input{
		{Title: "Le Conseil de sécurité débat de la cybersécurité", Hint: "fr"},
		// The feed declares Vietnamese, but the text is plainly French.
		{Title: "Le Conseil de sécurité débat de la cybersécurité", Declared: "vi-VN"},
		{Title: "Brasil", Hint: "es"},
		{Title: "サイバー安全保障に関する国連会合"},
		{Title: "2024-05-01"},
	}
	for _, in := range items {
		r := d.Detect(in)
		fmt.Printf("%s %.1f\n", r.Lang, r.Confidence)
	}
	// Output:
	// fr 1.0
	// fr 1.0
	// es 0.6
	// ja 1.0
	// und 0.0
}
