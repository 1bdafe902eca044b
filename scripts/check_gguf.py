#!/usr/bin/env python3
"""Check GGUF files written by edgebench's synthesizer with the reference implementation of the
format: the PyPI `gguf` package (llama.cpp's gguf-py).

For every FILE: architecture `llama`, the `llama.*` / tokenizer keys, every tensor name of
`block_count` blocks, types (norms F32; others F32/F16/Q8_0/Q4_0) and shapes (ggml order) that
agree with the metadata. For quantized files, gguf-py's `dequantize` of our bytes must match
the values of the F32 file of the same model within the quantization budget, and gguf-py's
`quantize` of those f32 values must give our codes (bit compatibility with ggml).

The F32 file is `--reference`, or else the file among FILE... whose `general.file_type` is 0
and whose `general.name` matches. Exits 1 on any mismatch.

    pip install gguf   # (numpy comes with it)
    python3 scripts/check_gguf.py tiny-f32.gguf tiny-q8_0.gguf tiny-q4_0.gguf
"""

import argparse
import sys

try:
    import numpy as np
    import gguf
except ImportError:
    sys.exit("check_gguf.py needs the `gguf` package (and numpy): pip install gguf")

T = gguf.GGMLQuantizationType
ALLOWED = {T.F32, T.F16, T.Q8_0, T.Q4_0}
# Relative RMSE (error RMS / value RMS) of dequantized values against f32, per tensor.
BUDGET = {T.F32: 0.0, T.F16: 1e-3, T.Q8_0: 0.01, T.Q4_0: 0.15}
# Fraction of values that may differ from gguf-py's own quantizer (gguf-py's Q4_0 multiplies in
# float64 where ggml uses float32, which can move a rare tie by one step).
CODE_MISMATCH = {T.F16: 0.0, T.Q8_0: 0.0, T.Q4_0: 1e-3}
REQUIRED_KEYS = [
    "general.architecture", "general.name", "general.file_type",
    "llama.context_length", "llama.embedding_length", "llama.block_count",
    "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
    "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon",
    "llama.rope.dimension_count", "llama.vocab_size",
    "tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
    "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
]


def value(reader, key):
    field = reader.fields.get(key)
    return None if field is None else field.contents()


def expected_tensors(m):
    """name -> (ggml shape, is_norm); `output.weight` is optional (tied embeddings)."""
    e, ff, v = m["embd"], m["ff"], m["vocab"]
    hd = e // m["heads"]
    q, kv = m["heads"] * hd, m["kv_heads"] * hd
    out = {"token_embd.weight": ([e, v], False), "output_norm.weight": ([e], True)}
    for i in range(m["layers"]):
        for name, shape, norm in [
            ("attn_norm", [e], True), ("attn_q", [e, q], False), ("attn_k", [e, kv], False),
            ("attn_v", [e, kv], False), ("attn_output", [q, e], False),
            ("ffn_norm", [e], True), ("ffn_gate", [e, ff], False), ("ffn_up", [e, ff], False),
            ("ffn_down", [ff, e], False),
        ]:
            out[f"blk.{i}.{name}.weight"] = (shape, norm)
    return out


class Checker:
    def __init__(self):
        self.failures = 0

    def fail(self, path, msg):
        self.failures += 1
        print(f"FAIL {path}: {msg}")

    def structure(self, path, r):
        """Check keys, names, types and shapes; return {name: tensor} or None."""
        for k in REQUIRED_KEYS:
            if value(r, k) is None:
                self.fail(path, f"metadata `{k}` is missing")
        if value(r, "general.architecture") != "llama":
            self.fail(path, f"general.architecture is {value(r, 'general.architecture')!r}")
            return None
        m = {
            "embd": value(r, "llama.embedding_length"),
            "ff": value(r, "llama.feed_forward_length"),
            "layers": value(r, "llama.block_count"),
            "heads": value(r, "llama.attention.head_count"),
            "kv_heads": value(r, "llama.attention.head_count_kv"),
            "vocab": value(r, "llama.vocab_size"),
        }
        if any(x is None for x in m.values()):
            return None
        if value(r, "llama.rope.dimension_count") != m["embd"] // m["heads"]:
            self.fail(path, "llama.rope.dimension_count is not the head size")
        for key in ["tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"]:
            n = len(value(r, key) or [])
            if n != m["vocab"]:
                self.fail(path, f"`{key}` has {n} entries, vocab_size is {m['vocab']}")
        want = expected_tensors(m)
        have = {t.name: t for t in r.tensors}
        for name in sorted(set(have) - set(want) - {"output.weight"}):
            self.fail(path, f"unexpected tensor `{name}`")
        if "output.weight" in have:
            want["output.weight"] = ([m["embd"], m["vocab"]], False)
        for name, (shape, norm) in want.items():
            t = have.get(name)
            if t is None:
                self.fail(path, f"tensor `{name}` is missing")
                continue
            got = [int(d) for d in t.shape]
            if got != shape:
                self.fail(path, f"tensor `{name}` has shape {got}, expected {shape}")
            if t.tensor_type not in ALLOWED or (norm and t.tensor_type != T.F32):
                self.fail(path, f"tensor `{name}` has type {t.tensor_type.name}")
        return have

    def against_reference(self, path, have, ref):
        worst, codes = {}, {}
        for name, t in have.items():
            rt = ref.get(name)
            if rt is None:
                self.fail(path, f"tensor `{name}` is not in the reference file")
                continue
            x = np.asarray(rt.data, dtype=np.float32).reshape(-1)
            qt = t.tensor_type
            y = gguf.quants.dequantize(t.data, qt).astype(np.float32).reshape(-1)
            if y.shape != x.shape:
                self.fail(path, f"tensor `{name}`: {y.size} values, reference has {x.size}")
                continue
            rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) or 1.0
            rel = float(np.sqrt(np.mean((y.astype(np.float64) - x) ** 2))) / rms
            worst[qt.name] = max(worst.get(qt.name, 0.0), rel)
            if rel > BUDGET[qt]:
                self.fail(path, f"tensor `{name}` ({qt.name}): relative RMSE {rel:.3g} > {BUDGET[qt]}")
            if qt == T.F32:
                continue
            # Bit compatibility: gguf-py's quantizer on the reference values gives our values.
            theirs = gguf.quants.quantize(x.reshape(-1, int(rt.shape[0])), qt)
            deq = gguf.quants.dequantize(theirs, qt).astype(np.float32).reshape(-1)
            differ = float(np.mean(deq != y))
            codes[qt.name] = max(codes.get(qt.name, 0.0), differ)
            if differ > CODE_MISMATCH[qt]:
                self.fail(path, f"tensor `{name}` ({qt.name}): {differ:.3%} of values differ "
                                f"from gguf-py's quantizer")
        summary = ", ".join(
            f"{k} rel-RMSE<={v:.3g}" + (f" codes-differ<={codes[k]:.2%}" if k in codes else "")
            for k, v in sorted(worst.items()))
        print(f"  vs reference: {summary}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", help="F32 GGUF of the same model (default: found among FILE)")
    ap.add_argument("files", nargs="+", metavar="FILE")
    args = ap.parse_args()
    c = Checker()
    readers = {}
    for path in args.files + ([args.reference] if args.reference else []):
        try:
            readers[path] = gguf.GGUFReader(path)
        except Exception as e:  # gguf-py raises various errors on bad files
            c.fail(path, f"gguf-py cannot read it: {e}")
    ref_paths = [args.reference] if args.reference else [
        p for p, r in readers.items() if value(r, "general.file_type") == 0]
    refs = {}
    for p in ref_paths:
        if p in readers:
            r = readers[p]
            refs[value(r, "general.name")] = {t.name: t for t in r.tensors}
    for path in args.files:
        r = readers.get(path)
        if r is None:
            continue
        print(f"{path}: GGUF v{value(r, 'GGUF.version')}, {len(r.tensors)} tensors, "
              f"file_type {value(r, 'general.file_type')}")
        have = c.structure(path, r)
        if have is None or value(r, "general.file_type") == 0:
            continue
        ref = refs.get(value(r, "general.name"))
        if ref is None:
            c.fail(path, "no F32 reference of the same model; pass --reference or an f32 file")
            continue
        c.against_reference(path, have, ref)
    if c.failures:
        print(f"{c.failures} problem(s)")
        return 1
    print("all files OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
