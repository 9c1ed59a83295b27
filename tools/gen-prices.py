#!/usr/bin/env python3
"""Generate conf.d/prices.json, llmgw's price table, from genai-prices data.

Run by a developer when refreshing prices (not at build time), python3 stdlib only:

    tools/gen-prices.py [--src DIR] [--out conf.d/prices.json] [--as-of YYYY-MM-DD]

--src is a copy of genai-prices' price data laid out as in the project's refdata
(data.json = prices/new_data/v2/data.json, providers/*.yml, SOURCE.txt); it
defaults to ../shared/refdata/prices next to the checkout, or $LLMGW_PRICES_SRC.

The data is pydantic/genai-prices, MIT licensed (Copyright (c) Pydantic Services
Inc. 2025 to present); conf.d/LICENSE-genai-prices carries that license, which
must travel with prices.json.

What ends up in the table (see also the "source" and "taken" fields):

* families: the gateway's provider kinds, each taken from one genai-prices
  provider (FAMILIES below).  Azure uses the openai family.
* models: every model of that provider that is not marked deprecated/retired
  and has a per-token input price.  Models priced per request/image/character
  only are left out.  A model with an input but no output price (embeddings)
  gets "output": 0.
* keys: concrete model ids, never patterns.  genai-prices matches a model name
  with rules (equals / starts_with / contains / ends_with / regex, and/or).  A
  candidate id is taken from the data itself: the model ids and `equals`
  literals of the first-party providers (openai, anthropic, google, aws, azure,
  mistral, groq, deepseek, cohere, cerebras, x-ai), the starts_with/contains
  literals that are complete dated snapshot ids (e.g. claude-3-5-sonnet-20241022),
  and the model names seen in real responses (cost_test_dataset/usages.json).
  Aggregators' names (openrouter, together, huggingface...) are not used.  A
  candidate is kept under a family if genai-prices itself would price it with
  that model: lower-cased, first matching model of the provider wins, else the
  provider's fallback_model_providers (google -> anthropic, for Claude on
  Vertex), as genai_prices.Provider.find_model does.  The gateway should
  lower-case the model name before looking it up.
  Bedrock: genai-prices writes region-prefixed inference profiles as
  "regional.<id>"; the table has the plain in-region id and each "<geo>.<id>"
  whose geo prefix the model's own match rule names (us., eu., apac., au., jp.,
  us-gov.).  "global.<id>" profiles are their own models (cheaper).  Other
  geo-prefixed profile ids cost what the plain id costs: a lookup that misses
  can retry without the "<geo>." prefix.
* prices: USD per million tokens.  cache_write is the default (5-minute) cache
  write price.  Where a price is tiered by prompt size or depends on the time of
  day (DeepSeek off-peak), the base tier / the unconstrained price is taken and
  "tiered": true is recorded.  Prices that change on a date are resolved as of
  --as-of (default: today, UTC); a change scheduled after that date is reported
  on stderr, the table then needs regenerating.
* checked: the model's prices_checked date from providers/*.yml.  Omitted when
  the YAML has none (older entries, and providers whose YAML is not in --src).
* taken: the newest "checked" among the included models.
"""

import argparse
import datetime
import json
import os
import re
import sys

# (family in llmgw, genai-prices provider id; its YAML is providers/<id with _>.yml)
FAMILIES = [
    ("openai", "openai"),
    ("anthropic", "anthropic"),
    ("google", "google"),
    ("bedrock", "aws"),
    ("mistral", "mistral"),
    ("groq", "groq"),
    ("deepseek", "deepseek"),
    ("cohere", "cohere"),
    ("cerebras", "cerebras"),
    ("x_ai", "x-ai"),
]

# providers whose names are the first-party API names (azure mirrors openai's)
NAME_SOURCES = {"openai", "anthropic", "google", "aws", "azure", "mistral",
                "groq", "deepseek", "cohere", "cerebras", "x-ai"}

PRICE_KEYS = [("input", "input_mtok"), ("output", "output_mtok"),
              ("cache_read", "cache_read_mtok"), ("cache_write", "cache_write_mtok")]

DATED = re.compile(r"(?:\d{8}|\d{4}-\d{2}-\d{2})(?:-v\d+(?::\d+)?)?$")
# Bedrock model ids: "<vendor>.<model>", optionally behind a "<geo>." profile prefix
BEDROCK_ID = re.compile(r"^(?:[a-z]+(?:-gov)?\.)?(?:[a-z]+|ai21)\.[a-z0-9]")
GEO_LITERAL = re.compile(r"^([a-z]{2,4}(?:-gov)?)\.(.+)$")


def die(msg):
    sys.exit("gen-prices: " + msg)


# ---- genai-prices match logic (genai_prices/types.py: Clause*.is_match) ----

def is_match(rule, text):
    (op, arg), = rule.items()
    if op == "equals":
        return text == arg
    if op == "starts_with":
        return text.startswith(arg)
    if op == "ends_with":
        return text.endswith(arg)
    if op == "contains":
        return arg in text
    if op == "regex":
        return re.search(arg, text) is not None
    if op == "or":
        return any(is_match(r, text) for r in arg)
    if op == "and":
        return all(is_match(r, text) for r in arg)
    die("unknown match clause %r" % op)


def literals(rule):
    (op, arg), = rule.items()
    if op in ("or", "and"):
        for r in arg:
            yield from literals(r)
    else:
        yield op, arg


def find_model(provider, ref, providers=None):
    """(model, provider id) as genai_prices.Provider.find_model: lower-cased,
    first match wins, then one step through fallback_model_providers."""
    ref = ref.lower()
    for m in provider["models"]:
        if is_match(m["match"], ref):
            return m, provider["id"]
    if providers:
        for fid in provider.get("fallback_model_providers") or []:
            if fid in providers:
                m, _ = find_model(providers[fid], ref)
                if m is not None:
                    return m, fid
    return None, None


# ---- prices ----

def parse_date(s):
    return datetime.date.fromisoformat(str(s)[:10])


def select_prices(model, as_of, notes):
    """The ModelPrice to use and whether it is tiered/time-of-day dependent."""
    prices = model["prices"]
    if isinstance(prices, dict):
        return prices, False
    tod = False
    chosen = None
    # genai-prices: tried last to first, the first active one wins, else the first
    for cp in reversed(prices):
        c = cp.get("constraint")
        if c is None:
            active = True
        elif "start_date" in c and len(c) == 1:
            start = parse_date(c["start_date"])
            active = as_of >= start
            if not active:
                notes.append("%s: price changes on %s (after %s)"
                             % (model["id"], start, as_of))
        elif "start_time" in c:
            tod = True          # time-of-day price: keep the unconstrained one
            active = False
        else:
            die("%s: unknown price constraint %r" % (model["id"], c))
        if active and chosen is None:
            chosen = cp["prices"]
    if chosen is None:
        chosen = prices[0]["prices"]
    return chosen, tod


def flat(value):
    """(number, tiered) from a number or {"base": .., "tiers": [..]}."""
    if isinstance(value, dict):
        return value["base"], True
    return value, False


def excluded(model):
    if model.get("deprecated"):
        return "deprecated"
    if re.match(r"\s*\(?(retired|deprecated)\b", model.get("description") or "", re.I):
        return "retired"
    return None


# ---- providers/*.yml: only prices_checked is needed, read line by line ----

def read_checked(path):
    """{model id: 'YYYY-MM-DD' or None} from a genai-prices provider YAML."""
    out = {}
    cur = None
    in_models = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if re.match(r"^models:\s*$", line):
                in_models = True
                continue
            if not in_models:
                continue
            if re.match(r"^\S", line):
                in_models = False
                continue
            m = re.match(r"^  - id:\s*(.+?)\s*$", line)
            if m:
                cur = m.group(1).strip("\"'")
                out[cur] = None
                continue
            m = re.match(r"^    prices_checked:\s*['\"]?(\d{4}-\d{2}-\d{2})", line)
            if m and cur is not None:
                out[cur] = m.group(1)
    return out


# ---- candidate ids ----

def candidate_pool(data, usages):
    pool = set()

    def add(s):
        if not isinstance(s, str) or not s:
            return
        s = s.lower()
        pool.add(s)
        if "/" in s:                      # "models/gemini-2.5-pro"
            pool.add(s.rsplit("/", 1)[1])

    for p in data:
        if p["id"] not in NAME_SOURCES:
            continue
        for m in p["models"]:
            add(m["id"])
            if m.get("name") and re.fullmatch(r"[a-z0-9][a-z0-9._:/@-]*", m["name"]):
                add(m["name"])
            for op, arg in literals(m["match"]):
                if op == "equals" or (op in ("starts_with", "contains", "ends_with")
                                      and DATED.search(arg) and not BEDROCK_ID.match(arg)):
                    add(arg)
            if p["id"] == "aws" and m["id"].startswith("regional."):
                base = m["id"][len("regional."):]
                add(base)
                for op, arg in literals(m["match"]):
                    g = GEO_LITERAL.match(arg) if op in ("contains", "starts_with") else None
                    if g and g.group(1) != "global" and base.startswith(g.group(2)):
                        add(g.group(1) + "." + base)
    for e in usages:
        add(e.get("model"))
        body = e.get("body") or {}
        add(body.get("model"))
        add(body.get("modelVersion"))
    return pool


def plausible(family, cand):
    if not re.fullmatch(r"[a-z0-9][a-z0-9._:/@-]*[a-z0-9]", cand):
        return False
    if cand.startswith("regional.") or cand.startswith("ft:"):
        return False
    if family == "bedrock":
        return BEDROCK_ID.match(cand) is not None
    if BEDROCK_ID.match(cand) or ":" in cand:
        return False
    if "/" in cand and family != "groq":   # groq's ids are "vendor/model"
        return False
    return True


def dump(table):
    """JSON text with one model per line."""
    j = lambda v: json.dumps(v, ensure_ascii=True)
    lines = ["{"]
    for k in ("source", "taken", "unit"):
        lines.append("  %s: %s," % (j(k), j(table[k])))
    lines.append('  "providers": {')
    fams = list(table["providers"].items())
    for fi, (fam, models) in enumerate(fams):
        lines.append("    %s: {" % j(fam))
        items = list(models.items())
        for mi, (mid, e) in enumerate(items):
            lines.append("      %s: %s%s" % (j(mid), j(e), "," if mi < len(items) - 1 else ""))
        lines.append("    }%s" % ("," if fi < len(fams) - 1 else ""))
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---- main ----

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=os.environ.get(
        "LLMGW_PRICES_SRC", os.path.join(root, "..", "shared", "refdata", "prices")))
    ap.add_argument("--out", default=os.path.join(root, "conf.d", "prices.json"))
    ap.add_argument("--as-of", default=None,
                    help="resolve dated price changes as of this day (default today, UTC)")
    args = ap.parse_args()
    as_of = (parse_date(args.as_of) if args.as_of
             else datetime.datetime.now(datetime.timezone.utc).date())

    src = args.src
    with open(os.path.join(src, "data.json"), encoding="utf-8") as f:
        data = json.load(f)
    usages_path = os.path.join(src, "cost_test_dataset", "usages.json")
    usages = []
    if os.path.exists(usages_path):
        with open(usages_path, encoding="utf-8") as f:
            usages = json.load(f)
    with open(os.path.join(src, "SOURCE.txt"), encoding="utf-8") as f:
        source_txt = f.read()
    repo = re.search(r"^Repository:\s*https://github\.com/(\S+?)/?\s*$", source_txt, re.M)
    commit = re.search(r"^Commit:\s*([0-9a-f]{40})", source_txt, re.M)
    if not repo or not commit:
        die("cannot read Repository/Commit from SOURCE.txt")

    providers = {p["id"]: p for p in data}
    pool = sorted(candidate_pool(data, usages))
    notes = []
    checked_of = {}
    out = {}
    newest = None
    summary = []

    for family, pid in FAMILIES:
        prov = providers.get(pid)
        if prov is None:
            summary.append("%-9s absent from data.json" % family)
            continue
        if prov.get("prices"):
            die("%s: provider-level prices are not supported" % pid)
        for q in [pid] + (prov.get("fallback_model_providers") or []):
            if q in checked_of or q not in providers:
                continue
            ypath = os.path.normpath(os.path.join(src, "providers", q.replace("-", "_") + ".yml"))
            checked_of[q] = read_checked(ypath) if os.path.exists(ypath) else {}
            if not os.path.exists(ypath):
                notes.append("%s: no %s, models carry no \"checked\" date" % (q, ypath))
            else:
                ids = {m["id"] for m in providers[q]["models"]}
                if set(checked_of[q]) != ids:
                    notes.append("%s: YAML and data.json model ids differ: %s"
                                 % (q, sorted(set(checked_of[q]) ^ ids)))

        entries = {}
        used = set()
        for cand in pool:
            if not plausible(family, cand):
                continue
            m, mpid = find_model(prov, cand, providers)
            if m is None or excluded(m):
                continue
            prices, tod = select_prices(m, as_of, [])
            if "input_mtok" not in prices:
                continue
            e = {}
            tiered = tod
            for k, pk in PRICE_KEYS:
                if pk in prices:
                    e[k], t = flat(prices[pk])
                    tiered = tiered or t
            if "output" not in e:
                e["output"] = 0          # embeddings: no output tokens
            checked = checked_of.get(mpid, {})
            if checked.get(m["id"]):
                e["checked"] = checked[m["id"]]
                d = parse_date(e["checked"])
                newest = d if newest is None or d > newest else newest
            if tiered:
                e["tiered"] = True
            entries[cand] = e
            used.add((mpid, m["id"]))

        for m in prov["models"]:
            if (pid, m["id"]) in used:
                select_prices(m, as_of, notes)      # report scheduled changes once
            elif not excluded(m) and "input_mtok" in select_prices(m, as_of, [])[0]:
                notes.append("%s: model %s has no concrete id in the data, left out"
                             % (pid, m["id"]))
        out[family] = dict(sorted(entries.items()))
        summary.append("%-9s %3d models, %3d ids" % (family, len(used), len(entries)))

    table = {
        "source": "genai-prices %s@%s" % (repo.group(1), commit.group(1)),
        "taken": newest.isoformat() if newest else None,
        "unit": "USD per million tokens",
        "providers": out,
    }
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(dump(table))
    os.replace(tmp, args.out)

    for n in notes:
        print("note: " + n, file=sys.stderr)
    for s in summary:
        print(s)
    print("taken %s, prices as of %s -> %s" % (table["taken"], as_of, args.out))


if __name__ == "__main__":
    main()
