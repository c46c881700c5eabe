"""Feeds whose entries are identified relative to where the feed is served (tests of item identity)."""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Ministry</title><id>/feed</id>
<updated>2025-07-01T09:00:00Z</updated>
<entry><title>Korea and US to hold 2+2 talks</title><id>/news/2025/0701-talks</id>
<link href="/news/2025/0701-talks.html"/><updated>2025-07-01T09:00:00Z</updated><summary>Talks.</summary></entry>
<entry><title>Tariff deadline moved</title><id>entry-2</id>
<link href="https://ministry.example/news/2"/><updated>2025-06-30T09:00:00Z</updated><summary>Moved.</summary></entry>
<entry><title>Absolute id</title><id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>
<link href="https://ministry.example/news/3"/><updated>2025-06-29T09:00:00Z</updated><summary>Same.</summary></entry>
</feed>"""

RSS_WITHOUT_GUIDS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<link>/</link><description>d</description>
<item><title>A relative link, no guid</title><link>/story/9</link><description>Text.</description></item>
</channel></rss>"""
