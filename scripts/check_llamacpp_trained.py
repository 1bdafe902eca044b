#!/usr/bin/env python3
"""llama.cpp against edgebench on a trained model (issue: a real small model).

Usage: check_llamacpp_trained.py EXPECTED.json

EXPECTED.json (written by train/tests/llamacpp.rs) holds:
  gguf        the trained f32 GGUF (tokenizer embedded as tokenizer.ggml.*)
  eval_text   the held-out passage, and eval_ids: edgebench's token ids for it (BOS first)
  prompt      a text prompt, prompt_ids: edgebench's ids for it (BOS first)
  greedy_ids  the reference engine's greedy continuation of prompt_ids at f32

Checks, through llama-cpp-python:
  1. llama.cpp loads the file and reads the vocabulary (gpt2 model, pre-tokenizer gpt-2);
  2. its tokenization of eval_text and of prompt (add_bos, no special parsing) equals edgebench's;
  3. its greedy continuation of prompt_ids equals greedy_ids, token for token (f32 logits,
     argmax; a mismatch prints the two sequences and the margin at the first difference).
Exit 0 when all hold, 1 otherwise.
"""

import json
import sys

import numpy as np
import llama_cpp as L


@L.llama_log_callback
def _quiet(level, text, user_data):  # llama.cpp logs every load at length
    pass


def main():
    exp = json.load(open(sys.argv[1]))
    L.llama_log_set(_quiet, None)
    n_ctx = max(len(exp["prompt_ids"]) + len(exp["greedy_ids"]) + 8, 64)
    llm = L.Llama(model_path=exp["gguf"], n_ctx=n_ctx, n_threads=1, logits_all=True,
                  verbose=False, seed=0)
    ok = True

    for what, text, want in [("held-out passage", exp["eval_text"], exp["eval_ids"]),
                             ("prompt", exp["prompt"], exp["prompt_ids"])]:
        got = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
        if got == want:
            print(f"ok   tokenization of the {what}: {len(got)} ids identical")
        else:
            ok = False
            first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                         min(len(got), len(want)))
            print(f"FAIL tokenization of the {what}: llama.cpp {len(got)} ids, edgebench "
                  f"{len(want)}; first difference at {first}: llama.cpp {got[first:first + 8]} "
                  f"vs edgebench {want[first:first + 8]}")

    llm.reset()
    llm.eval(exp["prompt_ids"])
    seq = []
    margins = []
    for _ in range(len(exp["greedy_ids"])):
        logits = np.asarray(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        order = np.argsort(-logits, kind="stable")
        tok = int(order[0])
        margins.append(float(logits[order[0]] - logits[order[1]]))
        seq.append(tok)
        llm.eval([tok])
    want = exp["greedy_ids"]
    text = llm.detokenize(seq).decode("utf-8", "replace")
    if seq == want:
        print(f"ok   greedy continuation: {len(seq)} tokens identical: {exp['prompt']!r} -> {text!r}")
    else:
        ok = False
        first = next(i for i, (a, b) in enumerate(zip(seq, want)) if a != b)
        print(f"FAIL greedy continuation differs at step {first} (margin there "
              f"{margins[first]:.4f}): llama.cpp {seq} vs reference {want}; llama.cpp text {text!r}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
