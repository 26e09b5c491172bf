"""Record stage: the SQLite ledger of every delivery."""
