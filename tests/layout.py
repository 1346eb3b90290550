#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The source tree keeps its architecture (README, "Source tree").

Checks, over src/ and include/:
- every #include of a project header from a family folder goes to the same
  family or to one below it (the order is LAYERS); nothing reaches up or
  sideways;
- a header beside its sources (src/FAMILY/x.h) is included by its own family
  only (tests may include anything);
- every header in include/ is listed by exactly one family's fragment
  (src/FAMILY/FAMILY.am), which owns it, and is used by another family;
- no file in src/ is longer than MAX_LINES.
Prints every violation, one per line, and exits 1 if there is any.
"""
import glob
import os
import re
import sys

# Lowest first. A family may include its own headers and those of any family
# of a lower rank; families of the same rank do not know each other.
LAYERS = {
    "base": 0,
    "flow": 1, "nft": 1, "feeds": 1,
    "detect": 2,
    "packet": 3,
    "daemon": 4,
    "tools": 5,
}
MAX_LINES = 700
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("top_srcdir", ".")
    os.chdir(top)
    errors = []
    owner = {}  # header file name -> family

    folders = sorted(d for d in os.listdir("src") if os.path.isdir(os.path.join("src", d)))
    for fam in folders:
        if fam not in LAYERS:
            errors.append("src/%s: a folder that tests/layout.py does not place in a layer" % fam)
            continue
        if not os.path.exists("src/%s/README.md" % fam):
            errors.append("src/%s: no README.md" % fam)
        for h in glob.glob("src/%s/*.h" % fam):
            owner[os.path.basename(h)] = fam
        am = "src/%s/%s.am" % (fam, fam)
        if os.path.exists(am):
            for h in re.findall(r"include/([A-Za-z0-9_]+\.h)", open(am).read()):
                if h in owner and owner[h] != fam:
                    errors.append("include/%s: listed by %s and %s" % (h, owner[h], fam))
                owner[h] = fam
    for h in glob.glob("include/*.h"):
        if os.path.basename(h) not in owner:
            errors.append("%s: no family's fragment lists it" % h)

    for fam in folders:
        if fam not in LAYERS:
            continue
        for path in sorted(glob.glob("src/%s/*.[ch]" % fam)):
            text = open(path, encoding="utf-8", errors="replace").read()
            lines = text.count("\n")
            if lines > MAX_LINES:
                errors.append("%s: %d lines (at most %d)" % (path, lines, MAX_LINES))
            for inc in INCLUDE_RE.findall(text):
                if inc == "config.h" or inc not in owner:
                    continue
                to = owner[inc]
                if to == fam:
                    continue
                private = os.path.exists("src/%s/%s" % (to, inc))
                if private:
                    errors.append("%s: includes %s, private to src/%s/" % (path, inc, to))
                elif LAYERS[to] >= LAYERS[fam]:
                    errors.append("%s: includes %s of src/%s/ (%s may only call down: %s)"
                                  % (path, inc, to, fam,
                                     ", ".join(f for f in LAYERS if LAYERS[f] < LAYERS[fam])
                                     or "nothing"))
    # An interface in include/ is there because another family uses it.
    used_by = {}
    for path in glob.glob("src/*/*.[ch]"):
        fam = path.split("/")[1]
        for inc in INCLUDE_RE.findall(open(path, encoding="utf-8", errors="replace").read()):
            used_by.setdefault(inc, set()).add(fam)
    for h in sorted(glob.glob("include/*.h")):
        name = os.path.basename(h)
        if name in owner and not used_by.get(name, set()) - {owner[name]}:
            errors.append("%s: used only inside src/%s/, belongs beside its sources"
                          % (h, owner[name]))
    for e in errors:
        print(e)
    print("layout: %d violations" % len(errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
