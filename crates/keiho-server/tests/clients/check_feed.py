#!/usr/bin/env python3
"""Third-party clients read what Keiho publishes: the Atom feed with `feedparser`
and every CAP message with `capparselib` (both from PyPI). Reads the files the
end-to-end test wrote to target/feed/ and fails loudly if anything is off."""
import pathlib
import sys

import feedparser
from capparselib.parsers import CAPParser

folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/feed")
expected = [line for line in (folder / "expected.txt").read_text().splitlines() if line]
if not expected:
    sys.exit("no alerts were expected: the end-to-end test wrote nothing")

feed = feedparser.parse((folder / "feed.atom").read_bytes())
if feed.bozo:
    sys.exit(f"feedparser: the feed is malformed: {feed.bozo_exception}")
entries = feed.entries
if len(entries) != len(expected):
    sys.exit(f"feedparser: {len(entries)} entries, expected {len(expected)}")
for entry in entries:
    links = [l for l in entry.links if l.get("type") == "application/cap+xml"]
    if not links:
        sys.exit(f"feedparser: entry {entry.id} has no application/cap+xml link")
    if not any(links[0].href.endswith(f"/{i}.xml") for i in expected):
        sys.exit(f"feedparser: entry link {links[0].href} names no issued alert")
print(f"feedparser {feedparser.__version__}: {len(entries)} entries, each linking to its CAP message")

for identifier in expected:
    xml = (folder / f"{identifier}.xml").read_text(encoding="utf-8")
    alerts = CAPParser(xml).as_dict()
    if len(alerts) != 1:
        sys.exit(f"capparselib: {identifier}: {len(alerts)} alerts parsed")
    alert = alerts[0]
    if alert["cap_id"] != identifier:
        sys.exit(f"capparselib: identifier {alert['cap_id']} != {identifier}")
    if alert["cap_status"] != "Exercise":
        sys.exit(f"capparselib: {identifier}: status {alert['cap_status']}")
    infos = alert["cap_info"]
    languages = sorted(str(i["cap_language"]) for i in infos)
    if not {"ja-JP", "en-US"} <= set(languages):
        sys.exit(f"capparselib: {identifier}: languages {languages}")
    print(f"capparselib: {identifier} {alert['cap_message_type']} {languages}")
print(f"capparselib: {len(expected)} CAP messages parsed")
