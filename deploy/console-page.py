#!/usr/bin/env python3
"""Logs in to the HQ console as a browser would (login form, its CSRF cookie, the session
cookie) and prints one page as text: its title, then each table row's cells separated by two
spaces. deploy/demo.sh uses it to show the console; usage: console-page.py URL NAME PASSWORD PATH"""
import html.parser
import http.cookiejar
import sys
import urllib.error
import urllib.parse
import urllib.request


class Text(html.parser.HTMLParser):
    """The page's h1 and table rows, and the login form's hidden CSRF field."""

    def __init__(self):
        super().__init__()
        self.lines, self.row, self.cell, self.csrf, self.inside = [], None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrf":
            self.csrf = attrs.get("value")
        if tag in ("h1", "p") and "error" in (attrs.get("class") or "").split() + [tag]:
            self.inside = []
        if tag == "tr":
            self.row = []
        if tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("h1", "p") and self.inside is not None:
            self.lines.append("".join(self.inside).strip())
            self.inside = None
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        if tag == "tr" and self.row is not None:
            self.lines.append("  ".join(self.row))
            self.row = None

    def handle_data(self, data):
        for part in (self.inside, self.cell):
            if part is not None:
                part.append(data)


def page(opener, url):
    with opener.open(url) as response:
        text = Text()
        text.feed(response.read().decode("utf-8"))
        return text


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: console-page.py CONSOLE_URL NAME PASSWORD PATH")
    base, name, password, path = sys.argv[1:]
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = page(opener, base + "/login")
    form = urllib.parse.urlencode({"csrf": login.csrf, "name": name, "password": password, "next": path})
    try:
        opener.open(base + "/login", data=form.encode()).close()
    except urllib.error.HTTPError as refused:
        sys.exit(f"console-page.py: the console refused the login of {name}: HTTP {refused.code}")
    print(f"{base}{path} as {name}:")
    for line in page(opener, base + path).lines:
        print("  " + line)


if __name__ == "__main__":
    main()
