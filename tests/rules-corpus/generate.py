#!/usr/bin/python3
# generate.py: writes the seeded random part of the rules corpus (r20..r49).
# The files are committed; this only documents how they were made.
import random

def quote(rng, value):
    for q in ['"', "'", '|', '%', '#']:
        if q not in value:
            return q + value + q
    return '"' + value.replace('"', '') + '"'

def address(rng):
    k = rng.randrange(10)
    o = lambda: str(rng.randrange(256))
    if k == 0: return ""
    if k == 1: return o() + "." + o() + "."
    if k == 2: return o() + "." + o() + "." + o() + "."
    if k == 3:
        lo = rng.randrange(250); hi = lo + rng.randrange(0, 12)
        return "10." + o() + "." + o() + "." + str(lo) + "-" + str(hi)
    if k == 4:
        lo = rng.randrange(200); return "172.16." + str(lo) + "-" + str(lo + rng.randrange(0, 90)) + "."
    if k == 5: return "=" + rng.choice(["mx", "mail", "smtp", "www"]) + "." + rng.choice(["example.org", "example.net", "Example.COM"])
    if k == 6: return "=." + rng.choice(["example.org", "example.net", "org", "Example.COM"])
    if k == 7: return rng.choice(["alice", "bob", "root"]) + "@" + o() + "." + o() + "." + o() + "." + o()
    if k == 8: return rng.choice(["alice", "bob"]) + "@=" + rng.choice(["mx.example.org", "host.example.net"])
    return "127.0.0." + o()

def rule(rng):
    line = address(rng) + ":" + rng.choice(["allow", "allow", "deny"])
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        name = rng.choice(["RELAYCLIENT", "RBLSMTPD", "QMAILQUEUE", "DATABYTES", "X_1", "_Y"])
        value = rng.choice(["", "", "@relay.example", "-blocked", "/var/qmail/bin/qmail-queue",
                            "1000000", "a b  c", "tab\there", "quote\"in", "x,y=z", "ümlaut"])
        line += "," + name + "=" + quote(rng, value)
    return line + rng.choice(["", "", "", " ", "\t", "  \t"])

for n in range(20, 50):
    rng = random.Random(n)
    lines = []
    for _ in range(rng.randrange(3, 60)):
        r = rng.random()
        if r < 0.1: lines.append("# " + rng.choice(["office", "partners", "spam: no", "x:allow"]))
        elif r < 0.15: lines.append(rng.choice(["", " ", "\t"]))
        else: lines.append(rule(rng))
    if rng.random() < 0.5:
        lines.append(lines[rng.randrange(len(lines))])  # a duplicate: the first wins
    text = "\n".join(lines) + ("\n" if rng.random() < 0.8 else "")
    open("r%02d.rules" % n, "w").write(text)
