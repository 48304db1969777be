#!/bin/bash
# The recipes the README and the man pages show are the files in contrib/,
# as they are, and every file in contrib/ is shown and run:
# - a README block between "<!-- contrib: PATH -->" and "<!-- /contrib -->"
#   is that file, byte for byte;
# - a man page's ".Bd -literal" block after '.\" contrib: PATH' is that
#   file's lines but comments and blank lines (\e for a backslash);
# - no other README block or man page display holds a recipe (a
#   tcpserver, Dovecot, Courier, Postfix, daemontools or systemd line);
# - every contrib file is shown in the README and named by the test that
#   runs it: tests/85-recipes.t, 14-inetd.t, or for relaygate sync's
#   85-sync.t and 86-sync-postfix.t;
# - the daemontools log/run runs as the account the README's install makes.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1
RECIPE='tcpserver |script-login|^ *service |passdb|smtpd_relay_restrictions|ExecStart|setuidgid|couriertcpd|imaplogin|/usr/local/bin/relaygate-allow'

# One pass over the README and the man pages, one line per finding:
#   readme PATH same|differs      a marked README block
#   readme-rest LINE              a line of an unmarked README block with a recipe
#   man PAGE PATH same|differs    a marked man page display
#   man-rest PAGE LINE            an unmarked display with a recipe
python3 - "$RECIPE" man/*.[578] >"$T_TMP/found" <<'PY'
import glob, re, sys
recipe = re.compile(sys.argv[1])
def plain(path):	# a file's lines but comments and blank lines
    return [l for l in open(path).read().split("\n") if l and not l.startswith("#")]
s = open("README.md").read()
for m in re.finditer(r"<!-- contrib: (\S+) -->\n```[a-z]*\n(.*?)```\n<!-- /contrib -->", s, re.S):
    print("readme", m.group(1), "same" if open(m.group(1)).read() == m.group(2) else "differs")
rest = re.sub(r"<!-- contrib: .*?<!-- /contrib -->", "", s, flags=re.S)
code = re.findall(r"```[a-z]*\n(.*?)```", rest, re.S) + re.findall(r"(?m)^    .*$", rest)
for line in "\n".join(code).split("\n"):
    if recipe.search(line):
        print("readme-rest", line)
for page in sys.argv[2:]:
    want, body, inbd = None, [], False
    for line in open(page).read().split("\n"):
        m = re.match(r'^\.\\" contrib: (\S+)', line)
        if m:
            want = m.group(1)
        elif line.startswith(".Bd -literal"):
            inbd, body = True, []
        elif line.startswith(".Ed") and inbd:
            if want:
                print("man", page, want, "same" if plain(want) == body else "differs")
            elif any(recipe.search(l) for l in body):
                print("man-rest", page, body[0])
            inbd, want = False, None
        elif inbd:
            body.append(line.replace("\\e", "\\"))
PY
shown=$(awk '$1 == "readme" { print $2 }' "$T_TMP/found" | sort)
files=$(find contrib -type f | sort)
is "$shown" "$files" "the README shows every file in contrib/, and only those"
is "$(awk '$1 == "readme" && $3 != "same"' "$T_TMP/found")" "" "each as it is"
is "$(grep '^readme-rest ' "$T_TMP/found")" "" "no other README block holds a recipe"
marked=$(grep -c '^man ' "$T_TMP/found")
ok "the man pages show $marked contrib files" [ "$marked" -ge 9 ]
is "$(awk '$1 == "man" && $4 != "same"' "$T_TMP/found")" "" "each as it is, but for comments"
is "$(grep '^man-rest ' "$T_TMP/found")" "" "no other man page display holds a recipe"

# Each contrib file is run by a test of the real programs.
missing=
for f in $files; do
	case $f in
	contrib/daemontools/relaygate-expire/*) n=contrib/daemontools/relaygate-expire ;;
	contrib/daemontools/relaygate-sync/*) n=contrib/daemontools/relaygate-sync ;;
	contrib/dovecot/conf.d/*) n=contrib/dovecot/conf.d/ ;;
	contrib/*/run) n=$(dirname "$f") ; n=${n#contrib/} ;;
	*) n=${f#contrib/} ;;
	esac
	grep -q -- "$n" tests/85-recipes.t tests/14-inetd.t tests/85-sync.t tests/86-sync-postfix.t ||
	    missing="$missing $f"
done
is "$missing" "" "tests/85-recipes.t, 14-inetd.t, 85-sync.t or 86-sync-postfix.t uses every contrib file"

# The account the daemontools log runs as is the one the install makes.
for s in expire sync; do
	is "$(sed -n 's/.*setuidgid \([a-z]*\) .*/\1/p' contrib/daemontools/relaygate-$s/log/run)" \
	    "$(sed -n '/<!-- install:begin -->/,/<!-- install:end -->/s/^adduser .* \([a-z]*\)$/\1/p' README.md)" \
	    "relaygate-$s's log/run runs multilog as the account the README's adduser makes"
done
plan "$T_NUM"
done_testing
