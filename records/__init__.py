"""The frozen records every layer shares: what one stage hands the next, and what the warehouse stores.

Records hold data and the few pure rules that define it (an item's identity, a config's validation); no I/O
beyond reading a config file, and no imports from flows/, tasks/ or warehouse/ (the bottom layer).
"""
