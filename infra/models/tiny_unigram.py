"""A tiny SentencePiece-style (Unigram) Hugging Face tokenizer for the tiny SigLIP-family fixture.

SigLIP's real tokenizers (T5 c4-en SentencePiece for SigLIP, Gemma for SigLIP 2) cannot be downloaded
here, so the fixture gets a small tokenizer of the same kind, built offline and deterministically:

* model: Unigram (SentencePiece's algorithm: Viterbi segmentation maximising the summed log
  probabilities), no byte fallback, unknown characters -> ``<unk>`` (runs of them fused into one);
* normalizer NFKC; pre-tokenizer Metaspace (``▁``, prepend_scheme "always", split);
* post-processor ``$A </s>`` (the EOS is appended, no BOS), like T5/SigLIP;
* ids 0 ``<pad>``, 1 ``</s>``, 2 ``<unk>``, then ``▁``, the single characters, then the pieces.

The vocabulary is not trained with ``tokenizers``' UnigramTrainer (its EM/pruning is multi-threaded
and not guaranteed to be reproducible); it is *built*: every substring (up to MAX_PIECE_LEN
characters) of the ``▁``-prefixed words of a fixed built-in corpus is counted, the most frequent ones
are kept (ties broken by the piece itself), and each piece's score is log(count / total). Pure
Python, sorted iteration only, so the output is byte-identical on every run.
"""

from __future__ import annotations

import itertools
import json
import math
import unicodedata
from pathlib import Path

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
SPACE = "\u2581"  # ▁
MAX_PIECE_LEN = 10
# Characters the vocabulary covers (after canonicalize + NFKC): everything else (CJK, emoji, other
# scripts, non-ASCII punctuation) becomes <unk>, which the golden texts exercise on purpose.
CHARSET = "abcdefghijklmnopqrstuvwxyz0123456789\u00e0\u00e2\u00e7\u00e8\u00e9\u00ea\u00ee\u00ef\u00f1\u00f4\u00f6\u00fb\u00fc"

_SUBJECTS = [
    "me", "my cat", "the dog", "my boss", "the intern", "every developer", "my code", "the compiler",
    "my mom", "the teacher", "a wild pikachu", "this guy", "nobody", "everyone", "the senior engineer",
    "my brain", "the printer", "my wifi", "the cat", "grumpy cat", "doge", "the server", "my friend",
]
_VERBS = [
    "when", "trying to", "pretending to", "about to", "refusing to", "learning to", "waiting to",
    "forgetting to", "deciding to", "finally able to", "too tired to", "afraid to", "ready to",
]
_ACTIONS = [
    "fix the bug", "deploy on friday", "read the documentation", "write unit tests", "push to production",
    "merge the pull request", "center a div", "exit vim", "order pizza", "go to sleep", "wake up early",
    "understand recursion", "reply to the email", "find the missing semicolon", "update the dependencies",
    "restart the computer", "clear the cache", "eat a sandwich", "take a photo of a cat",
    "draw a circuit diagram", "watch one more episode", "say hello world", "count to one million",
]
_ENDINGS = [
    "and it works", "but nothing happens", "on the first try", "at three in the morning", "again",
    "for the tenth time", "without coffee", "in a meeting", "while everyone is watching", "like a boss",
    "and then the internet dies", "so much wow", "very meme", "much confused", "instant regret",
]
_CAPTIONS = [
    "one does not simply walk into mordor", "this is fine", "such wow very doge", "i can has cheezburger",
    "all your base are belong to us", "keep calm and carry on", "distracted boyfriend", "expanding brain",
    "change my mind", "is this a pigeon", "surprised pikachu face", "woman yelling at a cat",
    "drake approves", "drake disapproves", "success kid", "bad luck brian", "first world problems",
    "the quick brown fox jumps over the lazy dog", "a photo of a dog", "a photo of a cat",
    "a circuit diagram", "a screenshot of code", "a painting of a sunset", "a meme about programming",
    "when the code compiles first try", "me also me", "see through", "frame one", "frame two",
    "bitmap meme", "webp meme", "grey scale", "rotated exif six", "it works on my machine",
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 fa\u00e7ade cr\u00e8me br\u00fbl\u00e9e ni\u00f1o",
    "zero one two three four five six seven eight nine ten 0 1 2 3 4 5 6 7 8 9 10 42 100 2024 3 14",
    "https example com memes id 42 sort top hot www",
]


def corpus_lines():
    """The fixed built-in corpus (a few thousand meme-like lines), in a fixed order."""
    lines = list(_CAPTIONS)
    for i, (s, v, a) in enumerate(itertools.product(_SUBJECTS, _VERBS, _ACTIONS)):
        lines.append(f"{s} {v} {a} {_ENDINGS[i % len(_ENDINGS)]}")
    return lines


def build_vocab(vocab_size: int):
    words = {}
    for line in corpus_lines():
        text = unicodedata.normalize("NFKC", line.lower())
        for w in text.split():
            w = "".join(c for c in w if c in CHARSET)
            if w:
                words[SPACE + w] = words.get(SPACE + w, 0) + 1
    counts = {}
    for w, n in words.items():
        for i in range(len(w)):
            for j in range(i + 2, min(len(w), i + MAX_PIECE_LEN) + 1):
                counts[w[i:j]] = counts.get(w[i:j], 0) + n
    singles = [SPACE] + list(CHARSET)
    n_multi = vocab_size - 3 - len(singles)
    multi = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n_multi]
    total = sum(counts.values()) + sum(words.values())
    # single characters: a low fixed score (rarer than every kept piece), so whole pieces win
    floor = math.log(1 / total) - 2.0
    vocab = [(PAD, 0.0), (EOS, 0.0), (UNK, 0.0)]
    vocab += [(c, floor) for c in singles]
    vocab += [(p, math.log(n / total)) for p, n in sorted(multi, key=lambda kv: (-kv[1], kv[0]))]
    assert len({p for p, _ in vocab}) == len(vocab)
    return vocab


def build_tokenizer(vocab_size: int = 1000):
    """Returns a tokenizers.Tokenizer (no truncation, no padding)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = build_vocab(vocab_size)
    tok = Tokenizer(models.Unigram(vocab, unk_id=2, byte_fallback=False))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=SPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=SPACE, prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, 1)])
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in (PAD, EOS, UNK)])
    return tok


def save_pretrained_fast(tok, directory: Path, context_length: int, pad_token: str):
    """Saves tok as a transformers PreTrainedTokenizerFast (tokenizer.json + tokenizer_config.json),
    loadable offline with AutoTokenizer.from_pretrained(directory) (which open_clip's HFTokenizer does)."""
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=pad_token, eos_token=EOS, unk_token=UNK,
                                   model_max_length=context_length, padding_side="right",
                                   truncation_side="right")
    fast.save_pretrained(str(directory))
    return fast


if __name__ == "__main__":
    t = build_tokenizer()
    print(json.dumps({"vocab_size": t.get_vocab_size()}))
    for s in ("a photo of a cat", "when the code compiles first try", "caf\u00e9 \u65e5\u672c \U0001F602"):
        e = t.encode(s)
        print(s, e.tokens, e.ids)
