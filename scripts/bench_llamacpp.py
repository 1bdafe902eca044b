#!/usr/bin/env python3
"""Side-by-side decode/prefill speed of llama.cpp and edgebench's reference engine on the same
GGUF files, plus greedy-token agreement and the memory-bandwidth roofline.

Driven by scripts/bench-vs-llamacpp.sh, which builds the tools, synthesizes the files and
creates the venv. Usage:

  bench_llamacpp.py --ref-bin BENCH_GGUF --membw-bin MEMBW --threads 1,2 \
      --prompt 64 --gen 128 --rounds 4 --greedy 32 FILE.gguf [FILE.gguf ...]

The two engines are alternated round by round (ours, llama.cpp, ours, llama.cpp, ...; each
round one prefill of the prompt and `gen` decode steps), so the slow bandwidth swings of a
shared machine hit both alike; each row reports the median of the per-round ratios with a
bootstrap 95% confidence interval, and every round's figures.

llama.cpp is driven through llama-cpp-python's low-level API: the prompt is one batch with
logits for its last position only, then single-token `llama_decode` calls with greedy argmax;
each call is timed with time.perf_counter_ns (the argmax is outside the timed region, as in
the reference engine's driver). Both sides use an f32 KV cache and no flash attention, the
same prompt token ids, the same thread count.
"""

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time

import numpy as np
import llama_cpp as L

GGML_TYPE_F32 = 0


@L.llama_log_callback
def _QUIET(level, text, user_data):  # llama.cpp logs every load at length; keep stderr readable
    pass


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class LlamaRunner:
    def __init__(self, path, threads, n_ctx=512):
        mp = L.llama_model_default_params()
        self.model = L.llama_model_load_from_file(path.encode(), mp)
        if not self.model:
            raise RuntimeError(f"llama.cpp could not load {path}")
        cp = L.llama_context_default_params()
        cp.n_ctx = n_ctx
        cp.n_batch = n_ctx
        cp.n_ubatch = n_ctx
        cp.n_threads = threads
        cp.n_threads_batch = threads
        cp.type_k = GGML_TYPE_F32
        cp.type_v = GGML_TYPE_F32
        cp.flash_attn_type = 0  # disabled
        cp.no_perf = True
        self.ctx = L.llama_init_from_model(self.model, cp)
        if not self.ctx:
            raise RuntimeError("llama.cpp could not create a context")
        self.vocab = L.llama_vocab_n_tokens(L.llama_model_get_vocab(self.model))
        self.batch = L.llama_batch_init(n_ctx, 0, 1)

    def close(self):
        L.llama_batch_free(self.batch)
        L.llama_free(self.ctx)
        L.llama_model_free(self.model)

    def reset(self):
        L.llama_memory_clear(L.llama_get_memory(self.ctx), True)

    def _eval(self, tokens, pos0):
        b = self.batch
        b.n_tokens = len(tokens)
        for i, t in enumerate(tokens):
            b.token[i] = t
            b.pos[i] = pos0 + i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = 0
            b.logits[i] = 1 if i == len(tokens) - 1 else 0
        t0 = time.perf_counter_ns()
        rc = L.llama_decode(self.ctx, b)
        dt = time.perf_counter_ns() - t0
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        return dt

    def argmax(self, margins=None):
        p = L.llama_get_logits_ith(self.ctx, -1)
        logits = np.ctypeslib.as_array(p, shape=(self.vocab,))
        top = int(np.argmax(logits))
        if margins is not None:  # top-1 minus runner-up
            margins.append(float(logits[top] - np.max(np.delete(logits, top))))
        return top

    def run(self, prompt, gen, margins=None):
        """(prefill ns, decode ns summed over gen steps, generated tokens); with a `margins`
        list, each step's top-1 minus runner-up logit is appended to it."""
        self.reset()
        pre = self._eval(prompt, 0)
        toks, dec = [], 0
        tok = self.argmax(margins)
        for i in range(gen):
            toks.append(tok)
            dec += self._eval([tok], len(prompt) + i)
            tok = self.argmax(margins)
        return pre, dec, toks


def llama_greedy(r, prompt, greedy):
    margins = []
    toks = r.run(prompt, greedy, margins)[2] if greedy else []
    return {"tokens": toks, "margins": margins[: len(toks)]}


def llama_round(r, prompt, gen):
    pre, dec, _ = r.run(prompt, gen)
    return {"prefill_tok_s": len(prompt) / (pre / 1e9), "decode_tok_s": gen / (dec / 1e9)}


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def bootstrap_ci(ratios, n=4000, seed=12345):
    """95% percentile-bootstrap interval of the median of `ratios` (rounds resampled)."""
    rng = np.random.default_rng(seed)
    a = np.asarray(ratios)
    meds = np.median(rng.choice(a, size=(n, len(a)), replace=True), axis=1)
    return float(np.percentile(meds, 2.5)), float(np.percentile(meds, 97.5))


def ref_side(binary, path, threads, prompt, gen, reps, greedy):
    """One run of our engine (a fresh process: load, `reps` repetitions, best)."""
    out = subprocess.run(
        [binary, path, "--threads", str(threads), "--prompt-ids", ",".join(map(str, prompt)),
         "--gen", str(gen), "--reps", str(reps), "--greedy", str(greedy)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def ref_forced(binary, path, prompt, forced):
    """Our argmax at each step of llama.cpp's greedy sequence (teacher forcing)."""
    out = subprocess.run(
        [binary, path, "--prompt-ids", ",".join(map(str, prompt)),
         "--force-ids", ",".join(map(str, forced))],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def membw(binary, threads):
    out = subprocess.run([binary, str(threads), "1024"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["read_gb_s"]


def quant_parity(f32_path, ours_path, tmp_path):
    """Quantize `f32_path` to Q4_K_M with llama.cpp's own quantizer and compare every tensor
    with our synthesizer's q4_k_m file byte for byte."""
    import gguf  # llama.cpp's GGUF reader (PyPI `gguf`)

    p = L.llama_model_quantize_default_params()
    p.ftype = 15  # LLAMA_FTYPE_MOSTLY_Q4_K_M
    p.nthread = 1
    if L.llama_model_quantize(f32_path.encode(), tmp_path.encode(), ctypes.byref(p)) != 0:
        raise RuntimeError("llama_model_quantize failed")
    try:
        theirs = {t.name: t for t in gguf.GGUFReader(tmp_path).tensors}
        ours = {t.name: t for t in gguf.GGUFReader(ours_path).tensors}
        same, types, bad = 0, {}, []
        for name, a in theirs.items():
            b = ours.get(name)
            types[a.tensor_type.name] = types.get(a.tensor_type.name, 0) + 1
            if b is not None and a.tensor_type == b.tensor_type and np.array_equal(
                    np.asarray(a.data).view(np.uint8), np.asarray(b.data).view(np.uint8)):
                same += 1
            else:
                bad.append(name)
        return same, len(theirs), types, bad
    finally:
        os.remove(tmp_path)


def load_avg():
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "?"


LOAD0 = load_avg()


def cpu_name():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def match_len(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--ref-bin", required=True)
    ap.add_argument("--membw-bin", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--prompt", type=int, default=64)
    ap.add_argument("--gen", type=int, default=128)
    ap.add_argument("--rounds", type=int, default=4, help="alternated rounds per file and thread count")
    ap.add_argument("--greedy", type=int, default=32)
    ap.add_argument("--json-out")
    ap.add_argument("--parity", action="append", default=[],
                    help="F32.gguf:OURS_Q4_K_M.gguf, compared with llama.cpp's Q4_K_M quantizer")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    L.llama_backend_init()
    L.llama_log_set(_QUIET, ctypes.c_void_p(0))
    log("llama.cpp system info:", L.llama_print_system_info().decode().strip())
    bw = {t: membw(a.membw_bin, t) for t in threads}
    log("memory read bandwidth GB/s:", bw)
    rows = []
    for f in a.files:
        name = os.path.basename(f).removesuffix(".gguf")
        for t in threads:
            # The vocabulary size comes from the file via the reference engine's first run.
            probe = ref_side(a.ref_bin, f, t, [1], 1, 1, 0) if not rows or rows[-1]["file"] != name else None
            vocab = probe["vocab"] if probe else rows[-1]["vocab"]
            prompt = [(i * 131 + 7) % vocab for i in range(a.prompt)]
            r = LlamaRunner(f, t)
            rounds = []
            try:
                for k in range(a.rounds):
                    ours = ref_side(a.ref_bin, f, t, prompt, a.gen, 1, 0)
                    theirs = llama_round(r, prompt, a.gen)
                    rounds.append({"ref_decode": ours["decode_tok_s"], "cpp_decode": theirs["decode_tok_s"],
                                   "ref_prefill": ours["prefill_tok_s"], "cpp_prefill": theirs["prefill_tok_s"]})
                    log(f"{name} threads={t} round {k + 1}/{a.rounds}: {json.dumps(rounds[-1])}")
                want_greedy = a.greedy if t == threads[0] else 0
                theirs = llama_greedy(r, prompt, want_greedy)
            finally:
                r.close()
            mine = ref_side(a.ref_bin, f, t, prompt, 1, 1, want_greedy) if want_greedy else {"tokens": []}
            row = {
                "file": name, "threads": t, "vocab": vocab,
                "weight_bytes": ours["weight_bytes"], "kernels": ours["kernels"],
                "weight_layout": ours.get("weight_layout"), "tuning": ours.get("tuning"),
                "rounds": rounds,
                "greedy": (match_len(mine["tokens"], theirs["tokens"]) if mine["tokens"] else None),
                "greedy_n": len(mine["tokens"]),
                "forced": None, "forced_n": 0, "forced_max_margin": None,
            }
            for what in ("decode", "prefill"):
                ratios = [x[f"ref_{what}"] / x[f"cpp_{what}"] for x in rounds]
                row[f"ref_{what}"] = median([x[f"ref_{what}"] for x in rounds])
                row[f"cpp_{what}"] = median([x[f"cpp_{what}"] for x in rounds])
                row[f"{what}_ratio"] = median(ratios)
                row[f"{what}_ci"] = bootstrap_ci(ratios)
            if theirs["tokens"]:
                # Teacher forcing: our argmax at every step of llama.cpp's greedy sequence, and
                # llama.cpp's own top-1 margin at the steps where we pick another token.
                fr = ref_forced(a.ref_bin, f, prompt, theirs["tokens"])
                agree = [x == y for x, y in zip(fr["forced_argmax"], theirs["tokens"])]
                off = [m for ok, m in zip(agree, theirs["margins"]) if not ok]
                row.update(forced=sum(agree), forced_n=len(agree),
                           forced_max_margin=max(off) if off else None)
            rows.append(row)
            log(json.dumps(row))
    print()
    print(f"# reference vs llama.cpp {L.__version__}, same GGUF, prompt {a.prompt}, gen {a.gen}, "
          f"{a.rounds} alternated rounds (ours, llama.cpp, ours, ...), tokens/s")
    print()
    print(f"CPU: {cpu_name()}; load average before: {LOAD0}, after: {load_avg()}; llama.cpp: "
          f"{L.llama_print_system_info().decode().strip()}")
    print()
    print("ratio: median over rounds of (ours / llama.cpp) in that round, [95% bootstrap CI of that median];")
    print("tok/s: medians over rounds. greedy match: steps until our greedy tokens first differ from")
    print("llama.cpp's; teacher-forced: steps of llama.cpp's greedy sequence where our argmax is its token,")
    print("and (in brackets) the largest top-1 margin llama.cpp itself had at a step where we differ.")
    print()
    print("| file | thr | decode ours / llama.cpp | decode ratio [CI] | prefill ours / llama.cpp | prefill ratio [CI] | greedy match | teacher-forced |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        g = "" if r["greedy"] is None else (
            f"{r['greedy']}/{r['greedy_n']}" + (" (exact)" if r["greedy"] == r["greedy_n"] else ""))
        tf = "" if r["forced"] is None else f"{r['forced']}/{r['forced_n']}" + (
            "" if r["forced_max_margin"] is None else f" (margin ≤ {r['forced_max_margin']:.3g})")
        dci, pci = r["decode_ci"], r["prefill_ci"]
        print(f"| {r['file']} | {r['threads']} | {r['ref_decode']:.1f} / {r['cpp_decode']:.1f} | "
              f"**{r['decode_ratio']:.2f}** [{dci[0]:.2f}, {dci[1]:.2f}] | {r['ref_prefill']:.0f} / {r['cpp_prefill']:.0f} | "
              f"**{r['prefill_ratio']:.2f}** [{pci[0]:.2f}, {pci[1]:.2f}] | {g} | {tf} |")
    print()
    print("## every round (tokens/s: decode ours / llama.cpp, prefill ours / llama.cpp)")
    print()
    print("| file | thr | rounds |")
    print("|---|---|---|")
    for r in rows:
        cells = [f"{x['ref_decode']:.1f}/{x['cpp_decode']:.1f}, {x['ref_prefill']:.0f}/{x['cpp_prefill']:.0f}"
                 for x in r["rounds"]]
        print(f"| {r['file']} | {r['threads']} | {'; '.join(cells)} |")
    print()
    print("## our engine's load-time choice (describe(): kernels, weight_layout, tuning)")
    print()
    for r in rows:
        print(f"- {r['file']} thr {r['threads']}: {r['kernels']}; {r['weight_layout']}; {r['tuning']}")
    print()
    print("# bandwidth roofline (decode ceiling = read bandwidth / weight bytes per token)")
    print()
    print("| file | thr | read GB/s | weights MB/token | ceiling tok/s | ref tok/s (of ceiling) | llama.cpp tok/s (of ceiling) |")
    print("|---|---|---|---|---|---|---|")
    def frac(tok_s, ceil):
        # Above 110%: the weights stayed in cache or the bandwidth run was disturbed (suspect).
        f = tok_s / ceil
        return f"{tok_s:.1f} ({f:.0%}{' suspect' if f > 1.1 else ''})"
    for r in rows:
        ceil = bw[r["threads"]] * 1e9 / r["weight_bytes"]
        print(f"| {r['file']} | {r['threads']} | {bw[r['threads']]:.1f} | {r['weight_bytes'] / 1e6:.1f} | {ceil:.1f} | "
              f"{frac(r['ref_decode'], ceil)} | {frac(r['cpp_decode'], ceil)} |")
    for pair in a.parity:
        f32_path, ours_path = pair.split(":")
        same, n, types, bad = quant_parity(f32_path, ours_path, ours_path + ".llamacpp.tmp")
        print()
        print(f"# Q4_K_M parity: {os.path.basename(ours_path)} vs llama.cpp's quantizer on "
              f"{os.path.basename(f32_path)}: {same}/{n} tensors byte-identical "
              f"(llama.cpp's types: {', '.join(f'{k} x{v}' for k, v in sorted(types.items()))})"
              + (f"; differ: {', '.join(bad[:8])}" if bad else ""))
    if a.json_out:
        with open(a.json_out, "w") as fh:
            json.dump({"bandwidth_gb_s": bw, "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
