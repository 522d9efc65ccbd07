#!/usr/bin/env python3
"""Is FILE well-formed HTML in the strict sense the report writers promise?
Every non-void element closed in order, nothing closed that was not open, no
unknown entity.  Exit 0 yes, 1 no (the first problem on stderr).  Stdlib only."""
import html.parser
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Checker(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.stack, self.problem = [], None

    def fail(self, what):
        if not self.problem:
            self.problem = f"line {self.getpos()[0]}: {what}"

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # <line .../>, <meta .../>: opened and closed at once

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.fail(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()

    def handle_entityref(self, name):
        if name not in ("lt", "gt", "amp", "quot", "apos"):
            self.fail(f"entity &{name};")


def main():
    c = Checker()
    with open(sys.argv[1], encoding="utf-8") as f:
        c.feed(f.read())
    c.close()
    if not c.problem and c.stack:
        c.problem = f"unclosed: {' '.join(c.stack)}"
    if c.problem:
        print(f"{sys.argv[1]}: {c.problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
