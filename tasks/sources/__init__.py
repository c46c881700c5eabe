"""A source URL → items: the guarded conditional GET, parsing by source kind (feeds, USTR, the Federal
Register) in worker processes, item identity, the sources' health, and storing what a poll gave."""
