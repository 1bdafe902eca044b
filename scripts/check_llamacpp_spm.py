#!/usr/bin/env python3
"""llama.cpp's tokenization of strings with a GGUF file's llama (SentencePiece) vocabulary.

Usage: check_llamacpp_spm.py INPUT.json OUTPUT.json

INPUT.json (written by tokenizer/tests/llamacpp_spm.rs) holds:
  gguf     a GGUF file whose vocabulary is `tokenizer.ggml.model = "llama"`
  strings  the texts to tokenize

OUTPUT.json gets, through llama-cpp-python (the vocabulary only, `vocab_only=True`):
  vocab_type  llama.cpp's vocabulary type (1 = SPM)
  bos         the BOS id llama.cpp read
  ids         for each string: llama.cpp's ids (add_bos as the file says, no special parsing)
  text        for each string: llama-cpp-python's detokenize of those ids, as UTF-8 text
              (invalid bytes replaced), which drops the leading space after BOS

The comparison with edgebench's ids is the Rust test's; this script only reports llama.cpp's.
Exit 0 when the file loads and every string tokenizes.
"""

import json
import sys

import llama_cpp as L


@L.llama_log_callback
def _quiet(level, text, user_data):  # llama.cpp logs every load at length
    pass


def main():
    inp = json.load(open(sys.argv[1], encoding="utf-8"))
    L.llama_log_set(_quiet, None)
    llm = L.Llama(model_path=inp["gguf"], vocab_only=True, verbose=False)
    vocab = L.llama_model_get_vocab(llm.model)
    out = {
        "vocab_type": int(L.llama_vocab_type(vocab)),
        "bos": int(llm.token_bos()),
        "ids": [],
        "text": [],
    }
    for s in inp["strings"]:
        ids = llm.tokenize(s.encode("utf-8"), add_bos=True, special=False)
        out["ids"].append(ids)
        out["text"].append(llm.detokenize(ids).decode("utf-8", "replace"))
    json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
    print(f"llama.cpp (vocab type {out['vocab_type']}) tokenized {len(inp['strings'])} strings "
          f"with {inp['gguf']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
