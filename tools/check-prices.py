#!/usr/bin/env python3
"""Sanity check of conf.d/prices.json against genai-prices' cost test dataset.

    tools/check-prices.py [--src DIR] [--table conf.d/prices.json] [-v]

For every usage in cost_test_dataset/usages.json (real response usage bodies with
the input/output prices genai-prices computed for them, per provider and API
flavour) whose provider maps to a family of the table and whose model is in that
family, the input and output prices are recomputed from the table the way the
gateway will:

    input  = (input_tokens - cache_read - cache_write) * input
             + cache_read * cache_read (else input) + cache_write * cache_write (else input)
    output = output_tokens * output                      (all per million tokens)

and compared exactly (decimal arithmetic) with the dataset.  A mismatch is
explained from genai-prices' data.json where it can be: size tiers, time-of-day or
dated prices, modality (audio/image/video) prices, 1-hour cache writes.  Azure
usages are checked against the openai family on a separate line (the gateway
prices Azure with it; genai-prices has Azure's own list).

Prints "N passed, M failed".  python3 stdlib only; --src defaults as in
tools/gen-prices.py.
"""

import argparse
import collections
import importlib.util
import json
import os
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

spec = importlib.util.spec_from_file_location("gen_prices", os.path.join(HERE, "gen-prices.py"))
gp = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gp)

FAMILY_OF = {pid: fam for fam, pid in gp.FAMILIES}
MTOK = Decimal(1000000)
MODAL = ("audio", "image", "video")


def D(x):
    return Decimal(str(x))


def price_of(table_entry, usage):
    t = table_entry
    inp = t["input"]
    cr = usage.get("cache_read_tokens", 0)
    cw = usage.get("cache_write_tokens", 0)
    i = (D(usage.get("input_tokens", 0)) - cr - cw) * inp
    i += D(cr) * t.get("cache_read", inp) + D(cw) * t.get("cache_write", inp)
    o = D(usage.get("output_tokens", 0)) * t["output"]
    return i / MTOK, o / MTOK


def alt_prices(model):
    """All flat price sets genai-prices may have used for this model: (label, dict)."""
    prices = model["prices"]
    entries = [(None, prices)] if isinstance(prices, dict) else \
        [(cp.get("constraint"), cp["prices"]) for cp in prices]
    out = []
    for c, p in entries:
        label = "constraint %s" % json.dumps(c) if c else "unconstrained"
        base = {}
        tiers = {}
        for k, v in p.items():
            if isinstance(v, dict):
                base[k] = D(v["base"])
                tiers[k] = v["tiers"]
            elif isinstance(v, (int, float)):
                base[k] = D(v)
        out.append((label, base, tiers))
    return out


def as_entry(p):
    e = {"input": p.get("input_mtok", Decimal(0)), "output": p.get("output_mtok", Decimal(0))}
    if "cache_read_mtok" in p:
        e["cache_read"] = p["cache_read_mtok"]
    if "cache_write_mtok" in p:
        e["cache_write"] = p["cache_write_mtok"]
    return e


def explain(model, usage, exp_in, exp_out, got_in, got_out):
    reasons = []
    alts = alt_prices(model)
    for label, base, tiers in alts:
        if tiers:
            start = min(t["start"] for ts in tiers.values() for t in ts)
            if usage.get("input_tokens", 0) > start:
                reasons.append("size tier: input_tokens %d > %d (%s), table has the base tier"
                               % (usage["input_tokens"], start, label))
    if len(alts) > 1:
        for label, base, tiers in alts:
            ci, co = price_of(as_entry(base), usage)
            if (exp_in is None or ci == exp_in) and (exp_out is None or co == exp_out):
                reasons.append("dataset priced with the %s entry" % label)
    keys = set(model["prices"].keys() if isinstance(model["prices"], dict)
               else [k for cp in model["prices"] for k in cp["prices"]])
    for mod in MODAL:
        used = [k for k in usage if mod in k and usage[k]]
        priced = [k for k in keys if mod in k]
        if used and priced:
            reasons.append("%s tokens %s priced separately (%s)"
                           % (mod, used, ",".join(sorted(priced))))
    if usage.get("cache_write_1h_tokens"):
        reasons.append("1-hour cache writes (cache_write_1h_mtok not in table)")
    if any(k.startswith("output_") and k not in ("output_tokens",) and usage[k]
           for k in usage) and "output_reasoning_mtok" in keys:
        reasons.append("reasoning tokens priced separately")
    return "; ".join(reasons) or "unexplained"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=os.environ.get(
        "LLMGW_PRICES_SRC", os.path.join(ROOT, "..", "shared", "refdata", "prices")))
    ap.add_argument("--table", default=os.path.join(ROOT, "conf.d", "prices.json"))
    ap.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    ap.add_argument("--sample", metavar="PATH",
                    help="also write a handful of passing cases there (t/fixtures/prices-sample.json)")
    args = ap.parse_args()

    with open(args.table, encoding="utf-8") as f:
        table = json.load(f, parse_float=Decimal, parse_int=Decimal)
    with open(os.path.join(args.src, "data.json"), encoding="utf-8") as f:
        data = {p["id"]: p for p in json.load(f)}
    with open(os.path.join(args.src, "cost_test_dataset", "usages.json"), encoding="utf-8") as f:
        usages = json.load(f)

    stats = collections.defaultdict(lambda: [0, 0])       # group -> [passed, failed]
    why = collections.Counter()
    skipped = 0
    sample = {}          # (group, flavor, has cache read, has cache write) -> case
    for e in usages:
        model_ref = e.get("model")
        if not model_ref:
            continue
        mid = model_ref.lower()
        for ex in e["extracted"]:
            usage = ex["usage"]
            for x in ex["extractors"]:
                if "input_price" not in x and "output_price" not in x:
                    continue
                pid = x["provider_id"]
                fam = FAMILY_OF.get(pid) or ("openai" if pid == "azure" else None)
                if fam is None:
                    continue
                entry = table["providers"].get(fam, {}).get(mid)
                if entry is None:
                    skipped += 1
                    continue
                group = fam if pid != "azure" else "openai(azure)"
                exp_in = Decimal(x["input_price"]) if "input_price" in x else None
                exp_out = Decimal(x["output_price"]) if "output_price" in x else None
                got_in, got_out = price_of(entry, usage)
                ok = (exp_in is None or got_in == exp_in) and (exp_out is None or got_out == exp_out)
                stats[group][0 if ok else 1] += 1
                if ok:
                    key = (group, x.get("api_flavor"), bool(usage.get("cache_read_tokens")),
                           bool(usage.get("cache_write_tokens")), mid)
                    gmodel, _ = gp.find_model(data[pid], mid, data)
                    if key not in sample and not entry.get("tiered") \
                            and isinstance(gmodel["prices"], dict) \
                            and (x.get("api_flavor") == "embeddings") == ("embed" in mid) \
                            and not (fam == "openai" and mid.startswith("gpt-oss")):
                        sample[key] = {
                            "family": fam, "provider": pid, "api_flavor": x.get("api_flavor"),
                            "model": model_ref, "body": e["body"], "usage": usage,
                            "input_price": x.get("input_price"), "output_price": x.get("output_price")}
                    continue
                gmodel, _ = gp.find_model(data[pid], mid, data)
                reason = explain(gmodel, usage, exp_in, exp_out, got_in, got_out) \
                    if gmodel else "genai-prices has no model for it"
                if pid == "azure" and reason == "unexplained":
                    reason = "azure's own price differs (model %s)" % (gmodel or {}).get("id")
                key = (group, model_ref, reason)
                why[key] += 1
                if args.verbose:
                    print("MISMATCH %s %s [%s] usage=%s expected in=%s out=%s, table in=%s out=%s: %s"
                          % (group, model_ref, x.get("api_flavor"), json.dumps(usage),
                             exp_in, exp_out, got_in.normalize(), got_out.normalize(), reason))

    for group in sorted(stats):
        p, f = stats[group]
        print("%-14s %4d passed, %3d failed" % (group, p, f))
    if why:
        print("mismatches:")
        for (group, model, reason), n in sorted(why.items()):
            print("  %3d x %s %s: %s" % (n, group, model, reason))
    print("(%d priced usages skipped: model not in the table's family)" % skipped)
    passed = sum(v[0] for g, v in stats.items() if g != "openai(azure)")
    failed = sum(v[1] for g, v in stats.items() if g != "openai(azure)")
    az = stats.get("openai(azure)", [0, 0])
    print("azure via openai family: %d passed, %d failed" % (az[0], az[1]))
    print("%d passed, %d failed" % (passed, failed))
    if args.sample:
        write_sample(args, sample)
    return 0


def write_sample(args, sample):
    """A few passing cases per (family, API flavour), cache reads/writes and distinct
    models first."""
    QUOTA = {("anthropic", "default"): 3, ("google", "default"): 3, ("google", "anthropic"): 1,
             ("openai", "chat"): 2, ("openai", "responses"): 2, ("openai", "embeddings"): 1,
             ("openai(azure)", "chat"): 1, ("bedrock", "anthropic"): 1, ("mistral", "default"): 1,
             ("groq", "default"): 1, ("deepseek", "chat"): 1, ("cerebras", "chat"): 1}
    picked = []
    by_flavor = collections.defaultdict(list)
    for key, case in sample.items():
        by_flavor[key[:2]].append((key, case))
    for gf in sorted(QUOTA):
        cases = [c for _, c in sorted(by_flavor.get(gf, []), key=lambda kc: -(kc[0][2] + kc[0][3]))]
        n = QUOTA[gf]
        mine = []
        for c in cases:                     # distinct models first
            if len(mine) < n and c["model"] not in {m["model"] for m in mine}:
                mine.append(c)
        mine += [c for c in cases if c not in mine][:n - len(mine)]
        picked += mine
    with open(os.path.join(args.src, "SOURCE.txt"), encoding="utf-8") as f:
        src = f.read()
    commit = gp.re.search(r"^Commit:\s*([0-9a-f]{40})", src, gp.re.M).group(1)
    out = {
        "source": "pydantic/genai-prices tests/dataset/usages.json @ %s (MIT, see "
                  "conf.d/LICENSE-genai-prices); bodies recorded from pydantic-ai test cassettes "
                  "(body.file)" % commit,
        "note": "usage bodies as the provider returned them, the usage genai-prices extracted, and "
                "its input/output price in USD (decimal strings); all reproduce exactly with "
                "conf.d/prices.json. Written by tools/check-prices.py --sample.",
        "cases": picked,
    }
    with open(args.sample, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")
    print("wrote %d cases to %s" % (len(picked), args.sample))


if __name__ == "__main__":
    sys.exit(main())
