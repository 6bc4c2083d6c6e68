// Package tokenizer implements the BERT WordPiece tokenizer used by the
// classifier checkpoints (all-MiniLM-L6-v2, uncased), reproducing the token
// ids of the Hugging Face tokenizer (the Rust "tokenizers" backend) exactly.
//
// The pipeline follows the Hugging Face one step by step:
//
//  1. special tokens ([CLS], [SEP], [PAD], [UNK], [MASK]) written literally in
//     the text are matched first, on the raw text, and map to their ids;
//  2. the rest is normalised: control characters are removed and whitespace
//     becomes a space, CJK ideographs are surrounded by spaces, accents are
//     stripped (NFD, then non-spacing marks dropped) and the text lower-cased;
//  3. the normalised text is split on whitespace and every punctuation
//     character becomes a word of its own;
//  4. each word is cut into the longest vocabulary pieces from the left, with
//     "##" marking a continuation; a word with a part that matches nothing, or
//     longer than MaxInputCharsPerWord characters, becomes [UNK];
//  5. [CLS] and [SEP] are added and the sequence is truncated to MaxLength.
//
// The reference classifies characters with Unicode 8.0 tables and Go with
// newer ones; compat.go lists every code point where that changes the ids, so
// that all 1,112,064 scalar values tokenise as in the reference (checked with
// testdata/hf_cases.py and TestExtraCases). Unassigned code points are kept as
// ordinary characters, as the reference keeps them.
//
// The package is pure Go and safe for concurrent use once built.
package tokenizer
