#!/usr/bin/env python3
"""Check edgebench's synthesized ONNX files against the ONNX tools themselves.

For each file: `onnx.checker.check_model`, then a greedy run with the KV cache in the PyPI
`onnxruntime`. The fp32 file is also compared with a numpy llama forward pass that reads the
file's own initializers (an independent implementation of the same function). Quantized files
are compared with the fp32 file (top-1 agreement, mean KL), and their weights are compared with
what ONNX Runtime's own quantizers write from the fp32 file (`quantize_dynamic` for int8,
`MatMulNBitsQuantizer` for int4, the latter only if the `onnx_ir` package is installed).

Usage: python scripts/check_onnx.py FP32.onnx [INT8.onnx] [INT4.onnx] [--steps N]
Set-up: python3 -m venv .venv-onnx && .venv-onnx/bin/pip install onnx onnxruntime numpy [onnx_ir]
"""

import argparse
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper


def variant_of(model):
    for p in model.metadata_props:
        if p.key == "edgebench.variant":
            return p.value
    return "?"


class OrtRunner:
    def __init__(self, path):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.past_names = [i.name for i in self.sess.get_inputs() if i.name.startswith("past_key_values.")]
        kv = self.sess.get_inputs()[3]
        self.kv_shape = kv.shape  # [batch, nkv, past, hd]

    def run(self, prompt, steps):
        """Greedy: prefill the prompt, then `steps` decode steps. Returns (tokens, logits list)."""
        nkv, hd = self.kv_shape[1], self.kv_shape[3]
        past = {n: np.zeros((1, nkv, 0, hd), np.float32) for n in self.past_names}
        pos, feed_tokens = 0, list(prompt)
        tokens, all_logits = [], []
        for _ in range(steps + 1):
            n = len(feed_tokens)
            feeds = {
                "input_ids": np.array([feed_tokens], np.int64),
                "attention_mask": np.ones((1, pos + n), np.int64),
                "position_ids": np.arange(pos, pos + n, dtype=np.int64)[None, :],
                **past,
            }
            outs = self.sess.run(None, feeds)
            names = [o.name for o in self.sess.get_outputs()]
            res = dict(zip(names, outs))
            logits = res["logits"][0, -1]
            all_logits.append(logits)
            for n_ in self.past_names:
                past[n_] = res[n_.replace("past_key_values.", "present.")]
            pos += n
            t = int(np.argmax(logits))
            tokens.append(t)
            feed_tokens = [t]
        return tokens[:steps], all_logits


def numpy_reference(model, prompt, steps):
    """A plain numpy llama (HF formulation) over the fp32 file's initializers."""
    w = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    n_layers = sum(1 for i in model.graph.input if i.name.endswith(".key"))
    kv_in = [i for i in model.graph.input if i.name == "past_key_values.0.key"][0]
    dims = kv_in.type.tensor_type.shape.dim
    nkv, hd = dims[1].dim_value, dims[3].dim_value
    q_w = w["model.layers.0.self_attn.q_proj.weight"]
    nh = q_w.shape[1] // hd
    inv_freq = w["/model/rotary_emb/inv_freq"].reshape(-1)
    eps = None
    for n in model.graph.node:
        if n.op_type == "Add" and n.name.startswith("/model/layers.0/input_layernorm"):
            eps = float(w[n.input[1]])
    assert eps is not None

    def rms(x, g):
        return g * (x / np.sqrt(np.mean(x * x, -1, keepdims=True) + eps))

    def rope(x, pos):  # x [n, S, hd]
        f = pos[:, None].astype(np.float32) * inv_freq[None, :]
        emb = np.concatenate([f, f], -1)
        cos, sin = np.cos(emb), np.sin(emb)
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return x * cos + np.concatenate([-x2, x1], -1) * sin

    cache = [[np.zeros((nkv, 0, hd), np.float32)] * 2 for _ in range(n_layers)]

    def forward(toks, start):
        x = w["model.embed_tokens.weight"][toks].astype(np.float64)
        S = len(toks)
        pos = np.arange(start, start + S)
        for i in range(n_layers):
            p = f"model.layers.{i}."
            h = rms(x, w[p + "input_layernorm.weight"])
            q = (h @ w[p + "self_attn.q_proj.weight"]).reshape(S, nh, hd).transpose(1, 0, 2)
            k = (h @ w[p + "self_attn.k_proj.weight"]).reshape(S, nkv, hd).transpose(1, 0, 2)
            v = (h @ w[p + "self_attn.v_proj.weight"]).reshape(S, nkv, hd).transpose(1, 0, 2)
            q, k = rope(q, pos), rope(k, pos)
            cache[i][0] = np.concatenate([cache[i][0], k], 1)
            cache[i][1] = np.concatenate([cache[i][1], v], 1)
            K = np.repeat(cache[i][0], nh // nkv, 0)
            V = np.repeat(cache[i][1], nh // nkv, 0)
            T = K.shape[1]
            sc = q @ K.transpose(0, 2, 1) / np.sqrt(hd)
            future = np.arange(T)[None, :] > (start + np.arange(S))[:, None]
            sc = np.where(future[None], -np.inf, sc)
            sc = np.exp(sc - sc.max(-1, keepdims=True))
            pr = sc / sc.sum(-1, keepdims=True)
            ctx = (pr @ V).transpose(1, 0, 2).reshape(S, nh * hd)
            x = x + ctx @ w[p + "self_attn.o_proj.weight"]
            h = rms(x, w[p + "post_attention_layernorm.weight"])
            g = h @ w[p + "mlp.gate_proj.weight"]
            u = h @ w[p + "mlp.up_proj.weight"]
            x = x + (g / (1 + np.exp(-g)) * u) @ w[p + "mlp.down_proj.weight"]
        x = rms(x, w["model.norm.weight"])
        return (x @ w["lm_head.weight"])[-1]

    logits = forward(np.array(prompt), 0)
    pos = len(prompt)
    tokens, all_logits = [], [logits]
    for _ in range(steps):
        t = int(np.argmax(logits))
        tokens.append(t)
        logits = forward(np.array([t]), pos)
        pos += 1
        all_logits.append(logits)
    return tokens, all_logits


def kl(p_logits, q_logits):
    def logsm(x):
        x = x.astype(np.float64)
        m = x.max()
        return x - m - np.log(np.exp(x - m).sum())
    lp, lq = logsm(p_logits), logsm(q_logits)
    return float((np.exp(lp) * (lp - lq)).sum())


def compare_teacher_forced(base_runner, other_runner, prompt, steps):
    """Top-1 agreement and mean KL(base || other), both fed the base model's greedy tokens."""
    toks, base_logits = base_runner.run(prompt, steps)
    # Re-run the other model on the same token stream.
    seq = list(prompt) + toks
    other = []
    nkv, hd = other_runner.kv_shape[1], other_runner.kv_shape[3]
    past = {n: np.zeros((1, nkv, 0, hd), np.float32) for n in other_runner.past_names}
    names = [o.name for o in other_runner.sess.get_outputs()]
    pos = 0
    chunks = [seq[: len(prompt)]] + [[t] for t in toks]
    for ch in chunks:
        feeds = {
            "input_ids": np.array([ch], np.int64),
            "attention_mask": np.ones((1, pos + len(ch)), np.int64),
            "position_ids": np.arange(pos, pos + len(ch), dtype=np.int64)[None, :],
            **past,
        }
        res = dict(zip(names, other_runner.sess.run(None, feeds)))
        other.append(res["logits"][0, -1])
        for n_ in other_runner.past_names:
            past[n_] = res[n_.replace("past_key_values.", "present.")]
        pos += len(ch)
    top1 = np.mean([np.argmax(a) == np.argmax(b) for a, b in zip(base_logits, other)])
    mkl = np.mean([kl(a, b) for a, b in zip(base_logits, other)])
    return float(top1), float(mkl)


def initializer_map(model):
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def compare_with_ort_quantizer(fp32_path, ours_path, variant):
    ours = onnx.load(ours_path)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "q.onnx")
        if variant == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic
            quantize_dynamic(fp32_path, out, weight_type=QuantType.QInt8)
        else:
            try:
                from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
                import onnx_ir  # noqa: F401
            except ImportError as e:
                print(f"  (skipping int4 byte comparison: {e}; pip install onnx_ir)")
                return True
            q = MatMulNBitsQuantizer(onnx.load(fp32_path), block_size=32, is_symmetric=True)
            import logging
            logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer").setLevel(logging.WARNING)
            q.process()
            q.model.save_model_to_file(out, use_external_data_format=False)
        theirs = onnx.load(out)
    ok = True
    ops_ours = sorted({(n.domain, n.op_type) for n in ours.graph.node})
    ops_theirs = sorted({(n.domain, n.op_type) for n in theirs.graph.node})
    if ops_ours != ops_theirs:
        print(f"  op sets differ:\n    ours   {ops_ours}\n    ort's  {ops_theirs}")
        ok = False
    a, b = initializer_map(ours), initializer_map(theirs)
    quant_names = [n for n in b if n.endswith(("_quantized", "_Q4", "_scale", "_scales", "_zero_point"))
                   and not n.startswith("/")]
    worst, mismatched = 0, []
    for n in quant_names:
        if n not in a:
            # ORT names per-activation tensors too; only weights are compared.
            if n.endswith(("_quantized", "_Q4")):
                mismatched.append(f"{n} missing in ours")
            continue
        x, y = a[n], b[n]
        if x.shape != y.shape or x.dtype != y.dtype:
            mismatched.append(f"{n}: ours {x.dtype}{x.shape} vs ort {y.dtype}{y.shape}")
            continue
        if x.dtype == np.float32:
            d = float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-30))) if x.size else 0.0
            if d > 1e-6:
                mismatched.append(f"{n}: scale rel diff {d:.3g}")
        else:
            ne = int(np.sum(x != y))
            worst = max(worst, ne)
            if ne:
                mismatched.append(f"{n}: {ne} of {x.size} codes differ")
    node_attrs = {}
    for n in theirs.graph.node:
        if n.op_type == "MatMulNBits":
            node_attrs[n.input[1]] = {a_.name: onnx.helper.get_attribute_value(a_) for a_ in n.attribute}
    for n in ours.graph.node:
        if n.op_type == "MatMulNBits" and n.input[1] in node_attrs:
            mine = {a_.name: onnx.helper.get_attribute_value(a_) for a_ in n.attribute}
            if mine != node_attrs[n.input[1]]:
                mismatched.append(f"{n.name}: attributes {mine} vs ort {node_attrs[n.input[1]]}")
    print(f"  vs ORT's own quantizer: {len(quant_names)} quantized tensors compared, "
          f"{len(mismatched)} differ")
    for m in mismatched[:10]:
        print(f"    {m}")
    return ok and not mismatched


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--steps", type=int, default=16)
    args = ap.parse_args()
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    failed = False
    fp32_path = None
    base = None
    for path in args.files:
        model = onnx.load(path)
        var = variant_of(model)
        print(f"{path}: variant {var}, {len(model.graph.node)} nodes, opsets "
              f"{[(o.domain or 'ai.onnx', o.version) for o in model.opset_import]}")
        onnx.checker.check_model(path, full_check=True)
        print("  onnx.checker.check_model(full_check=True): ok")
        r = OrtRunner(path)
        vocab = model.graph.output[0].type.tensor_type.shape.dim[2].dim_value
        prompt = [(i * 37 + 5) % vocab for i in range(7)]
        toks, logits = r.run(prompt, args.steps)
        print(f"  onnxruntime greedy {args.steps}: {toks}")
        if var == "fp32":
            fp32_path, base = path, r
            rt, rl = numpy_reference(model, prompt, args.steps)
            d = max(float(np.max(np.abs(a - b))) for a, b in zip(logits, rl))
            same = rt == toks
            print(f"  vs numpy reference: greedy tokens {'identical' if same else 'DIFFER'}, "
                  f"max |dlogit| {d:.3g}")
            if not same or d > 1e-3:
                failed = True
        elif base is not None:
            top1, mkl = compare_teacher_forced(base, r, prompt, args.steps)
            print(f"  vs ORT fp32 (same tokens): top-1 agreement {top1:.3f}, mean KL {mkl:.4g}")
            # Loose sanity floors: random synthetic weights lose a lot at 4 bits.
            if top1 < {"int8": 0.5, "int4": 0.25}.get(var, 0.5):
                failed = True
            if not compare_with_ort_quantizer(fp32_path, path, var):
                failed = True
    if failed:
        print("FAILED")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
