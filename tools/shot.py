#!/usr/bin/python3
"""shot.py: render a tmux pane capture into a PNG, as a terminal shows it.

    tmux capture-pane -t =NAME:0.0 -p -e -N > CAPTURE
    /usr/bin/python3 tools/shot.py COLS ROWS CAPTURE OUT.png

The capture (text with SGR escapes, line-drawing cells between SO and SI)
goes through pyte, a terminal emulator, into a COLS x ROWS screen; each
cell is painted with Pillow in DejaVu Sans Mono: background, then the glyph
(Bold for bold), with reverse video, underline and dim.  Run it with
Debian's /usr/bin/python3 (python3-pyte, python3-pil, fonts-dejavu-core);
another python3 first on PATH usually lacks them.
"""
import re
import sys

import pyte
import pyte.charsets
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
FONT_SIZE = 15
PAD = 10                        # margin around the cells, in pixels

# The terminal's colours: a dark background and the Tango palette that
# GNOME's terminal uses, so that ncurses' 8 + 8 colours look familiar;
# black is true black, as in xterm, so black text on a colour stays legible.
DEFAULT_FG = (0xd3, 0xd7, 0xcf)
DEFAULT_BG = (0x1c, 0x1c, 0x1c)
PALETTE = [
    (0x00, 0x00, 0x00), (0xcc, 0x00, 0x00), (0x4e, 0x9a, 0x06), (0xc4, 0xa0, 0x00),
    (0x34, 0x65, 0xa4), (0x75, 0x50, 0x7b), (0x06, 0x98, 0x9a), (0xd3, 0xd7, 0xcf),
    (0x55, 0x57, 0x53), (0xef, 0x29, 0x29), (0x8a, 0xe2, 0x34), (0xfc, 0xe9, 0x4f),
    (0x72, 0x9f, 0xcf), (0xad, 0x7f, 0xa8), (0x34, 0xe2, 0xe2), (0xee, 0xee, 0xec),
]

SGR = re.compile(r"\x1b\[([0-9;]*)m")
# An escape sequence, or SO / SI (tmux's capture brackets line-drawing cells
# with them, around the VT100 letters: "lqqk").
TOKEN = re.compile(r"(\x1b\[[0-?]*[ -/]*[@-~]|\x1b[^\[]|[\x0e\x0f])")


def rgb_param(n):
    r, g, b = PALETTE[n]
    return [2, r, g, b]


def fix_sgr(m):
    """Rewrite one SGR sequence into what pyte 0.8 keeps faithfully.

    pyte names the 16 colours (losing the bright half: 90-97 become the
    dark colours plus bold) and has no dim.  So every colour 0-15, however
    written, becomes an RGB colour of PALETTE; dim (2) travels in the
    italics flag, which ncurses programs do not otherwise use here, and
    22 (normal intensity) clears both.
    """
    params = [int(p) if p else 0 for p in m.group(1).split(";")]
    out = []
    i = 0
    while i < len(params):
        p = params[i]
        if p in (38, 48) and i + 1 < len(params):
            if params[i + 1] == 5 and i + 2 < len(params):
                n = params[i + 2]
                out += [p] + (rgb_param(n) if n < 16 else [5, n])
                i += 3
                continue
            if params[i + 1] == 2:
                out += params[i:i + 5]
                i += 5
                continue
        if 30 <= p <= 37:
            out += [38] + rgb_param(p - 30)
        elif 40 <= p <= 47:
            out += [48] + rgb_param(p - 40)
        elif 90 <= p <= 97:
            out += [38] + rgb_param(p - 90 + 8)
        elif 100 <= p <= 107:
            out += [48] + rgb_param(p - 100 + 8)
        elif p == 2:
            out.append(3)
        elif p == 22:
            out += [22, 23]
        else:
            out.append(p)
        i += 1
    return "\x1b[" + ";".join(str(p) for p in out) + "m"


def line_drawing(text):
    """Turn the letters between SO and SI into box-drawing characters.

    pyte ignores SO and SI in UTF-8 mode, so this is done here, leaving
    escape sequences inside such a stretch alone.
    """
    out = []
    shifted = False
    for tok in TOKEN.split(text):
        if tok == "\x0e":
            shifted = True
        elif tok == "\x0f":
            shifted = False
        elif shifted and not tok.startswith("\x1b"):
            out.append(tok.translate(pyte.charsets.VT100_MAP))
        else:
            out.append(tok)
    return "".join(out)


def colour(name, default):
    if name == "default":
        return default
    if re.fullmatch(r"[0-9a-fA-F]{6}", name):
        return tuple(int(name[i:i + 2], 16) for i in (0, 2, 4))
    # A name pyte still uses (none after fix_sgr, but be safe).
    names = ["black", "red", "green", "brown", "blue", "magenta", "cyan", "white"]
    return PALETTE[names.index(name)] if name in names else default


def blend(a, b, t):
    return tuple(round(x * (1 - t) + y * t) for x, y in zip(a, b))


def render(capture, cols, rows, out):
    # capture-pane ends every line with a newline: the last one would
    # scroll the top row away.  The pane's lines are rows, so each newline
    # is a carriage return and a line feed.
    text = capture.decode("utf-8", "replace")
    if text.endswith("\n"):
        text = text[:-1]
    text = text.replace("\n", "\r\n")
    text = line_drawing(SGR.sub(fix_sgr, text))

    screen = pyte.Screen(cols, rows)
    pyte.Stream(screen).feed(text)

    regular = ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", FONT_SIZE)
    bold = ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", FONT_SIZE)
    ascent, descent = regular.getmetrics()
    cw = round(regular.getlength("M"))
    ch = ascent + descent       # no gap: box-drawing lines join up
    img = Image.new("RGB", (cols * cw + 2 * PAD, rows * ch + 2 * PAD), DEFAULT_BG)
    draw = ImageDraw.Draw(img)

    for y in range(rows):
        line = screen.buffer[y]
        for x in range(cols):
            c = line[x]
            fg = colour(c.fg, DEFAULT_FG)
            bg = colour(c.bg, DEFAULT_BG)
            if c.reverse:
                fg, bg = bg, fg
            if c.italics:       # dim, see fix_sgr
                fg = blend(fg, bg, 0.45)
            px, py = PAD + x * cw, PAD + y * ch
            # A wide character covers the next cell too (pyte leaves it "").
            wide = x + 1 < cols and line[x + 1].data == ""
            w = cw * (2 if wide else 1)
            if bg != DEFAULT_BG:
                draw.rectangle([px, py, px + w - 1, py + ch - 1], fill=bg)
            if c.data and c.data != " ":
                draw.text((px, py), c.data, font=bold if c.bold else regular, fill=fg)
            if c.underscore:
                draw.line([px, py + ascent + 1, px + w - 1, py + ascent + 1], fill=fg)
            if c.strikethrough:
                draw.line([px, py + ch // 2, px + w - 1, py + ch // 2], fill=fg)
    img.save(out, optimize=True)


def main(argv):
    if len(argv) != 5:
        sys.stderr.write("usage: shot.py COLS ROWS CAPTURE OUT.png\n")
        return 2
    cols, rows = int(argv[1]), int(argv[2])
    with open(argv[3], "rb") as f:
        capture = f.read()
    render(capture, cols, rows, argv[4])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
