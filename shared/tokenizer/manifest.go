package tokenizer

import "github.com/contentml/mlbundle/shared/checkpoint"

// FromManifest maps a manifest's tokenizer settings (a classifier's, or an ncf
// checkpoint's item_text section) and its max_length to a Config.
func FromManifest(ts checkpoint.Tokenizer, maxLength int) Config {
	return Config{
		Lowercase:            ts.Lowercase,
		StripAccents:         ts.StripAccents,
		TokenizeChineseChars: ts.TokenizeChineseChars == nil || *ts.TokenizeChineseChars,
		UnkToken:             ts.UnkToken,
		CLSToken:             ts.ClsToken,
		SEPToken:             ts.SepToken,
		PadToken:             ts.PadToken,
		MaxInputCharsPerWord: ts.MaxInputCharsPerWord,
		MaxLength:            maxLength,
	}
}
